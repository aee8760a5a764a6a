/**
 * Runs the kata tests in a child Vitest, against the implementation folder KATA_IMPL names, and
 * reads back what happened to every test. Self-verification, the benchmark and the grader all run
 * the tests this way, so they all go through the one KATA_IMPL switch.
 */
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { kataOfTestFile } from './katas.ts'
import { projectRoot } from './paths.ts'
import { runCommand } from './run-command.ts'

export const vitestBin = join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs')

export interface TestResult {
  /** The kata folder, "03-backlog". */
  kata: string
  /** The test's full name, describe blocks included. */
  name: string
  state: 'passed' | 'failed' | 'skipped'
  failureMessages: string[]
}

export interface KataRunReport {
  tests: TestResult[]
  /** Test files that failed as a whole (could not load, say), by kata folder. */
  fileErrors: { kata: string; message: string }[]
  /** What Vitest printed, for when something went wrong outside the tests. */
  output: string
  exitCode: number | null
}

export interface KataRunOptions {
  /** KATA_IMPL: whose code runs; the katas/ folder when omitted. */
  implementationRoot?: string
  /** KATA_TESTS: where the tests come from; katas/ when omitted. */
  testsRoot?: string
  /** Kata folders to run ("01-bind"); all when omitted. */
  katas?: string[]
  /** Run the tests as this user (needs root), to see what a learner who is not root sees. */
  user?: { uid: number; gid: number }
  /** The Node binary to run them on (the kata processes too); this one when omitted. */
  node?: string
}

export async function runKataTests(options: KataRunOptions = {}): Promise<KataRunReport> {
  const scratch = await mkdtemp(join(tmpdir(), 'socket-katas-run-'))
  const resultsFile = join(scratch, 'results.json')
  const { user } = options
  if (user) await chown(scratch, user.uid, user.gid)
  try {
    // The runner config loader writes no bundled config into node_modules, so any user can run it.
    const args = [vitestBin, 'run', '--project', 'katas', '--configLoader', 'runner', '--reporter=json', `--outputFile=${resultsFile}`]
    args.push(...(options.katas ?? []).map((folder) => `${folder}/`))
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }
    delete env.INIT_CWD // the folders below are absolute; nothing to resolve against
    if (options.implementationRoot) env.KATA_IMPL = options.implementationRoot
    if (options.testsRoot) env.KATA_TESTS = options.testsRoot
    if (user) env.HOME = scratch
    const { output, exitCode } = await runCommand(options.node ?? process.execPath, args, { env, ...user })
    const json = await readFile(resultsFile, 'utf8').catch(() => undefined)
    if (json === undefined) throw new Error(`Vitest wrote no results (exit code ${exitCode}):\n${output}`)
    return { ...parseJsonReport(json), output, exitCode }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

interface JsonReport {
  testResults: {
    name: string
    status: string
    message: string
    assertionResults: { fullName: string; status: string; failureMessages: string[] }[]
  }[]
}

/** Reads Vitest's JSON report (the Jest-compatible shape). */
export function parseJsonReport(json: string): Pick<KataRunReport, 'tests' | 'fileErrors'> {
  const report = JSON.parse(json) as JsonReport
  const tests: TestResult[] = []
  const fileErrors: KataRunReport['fileErrors'] = []
  for (const file of report.testResults) {
    const kata = kataOfTestFile(file.name)?.folder ?? relative(projectRoot, file.name)
    if (file.assertionResults.length === 0 && file.status === 'failed') fileErrors.push({ kata, message: file.message })
    for (const test of file.assertionResults) {
      const state = test.status === 'passed' ? 'passed' : test.status === 'failed' ? 'failed' : 'skipped'
      tests.push({ kata, name: test.fullName, state, failureMessages: test.failureMessages ?? [] })
    }
  }
  return { tests, fileErrors }
}
