/**
 * The generated GitHub Classroom workflow, run here as Actions would run it: validated against the
 * workflow schema (@action-validator/core, which checks SchemaStore's github-workflow.json), then its
 * restore step and every kata step's command, read from the YAML, in clones of a template repository:
 * one where the student's commit holds the reference solutions, one where it holds a wrong answer per
 * kata and also rewrites a test and the test script. Each command runs as the command grader runs it
 * (/bin/sh, its environment), and its exit code is scored as the grader scores it.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { listKatas, type Kata } from '../../../harness/katas.ts'
import { katasDir, projectRoot } from '../../../harness/paths.ts'
import { copyOfProject, type ProjectCopy } from '../../../learner/test-support/project-copy.ts'
import { gradingNode } from '../../grading-node.ts'
import { readPointsManifest } from '../../manifest.ts'
import { ACTIONS, classroomWorkflow, DEFAULT_TIMEOUT_MINUTES } from './workflow.ts'

const require = createRequire(import.meta.url)
const { validateWorkflow } = require('@action-validator/core') as { validateWorkflow(src: string): { errors: unknown[] } }

const katas = listKatas(katasDir)
const RUN_LIMIT_MS = 120_000
/**
 * The broken clone runs these katas' steps only: all seventeen wrong answers took 170 s here (some
 * fail only at their tests' time limits), these about 20 s. Kata 01's test file and kata 02's folder
 * are the ones the student tampered with; kata 17 needs the grading Node.
 */
const BROKEN_KATAS = ['01-bind', '02-port-zero', '12-dual-stack', '17-reuse-port']

interface Step {
  name: string
  id?: string
  uses?: string
  run?: string
  env?: Record<string, string>
  with?: Record<string, string | number | boolean>
}

interface KataStep {
  kata: Kata
  command: string
  maxScore: number
}

let text: string
let steps: Step[]
let template: ProjectCopy
let gradingPath: string

beforeAll(async () => {
  text = classroomWorkflow({ katas, points: await readPointsManifest(katasDir), timeoutMinutes: DEFAULT_TIMEOUT_MINUTES })
  steps = (parse(text) as { jobs: Record<string, { steps: Step[] }> }).jobs['run-autograding-tests']!.steps
  // setup-node puts the grading Node first on PATH; npm's `#!/usr/bin/env node` then runs on it too.
  gradingPath = `${dirname((await gradingNode()).path)}:${process.env.PATH}`
  template = await templateRepository()
  await studentCommit('correct', (kata) => readFile(join(projectRoot, 'solutions', kata.folder, kata.implementationFile), 'utf8'))
  await studentCommit('broken', async (kata) => readFile(await firstWrongAnswer(kata), 'utf8'), tamperWithTheTests)
})

afterAll(async () => {
  await template?.remove()
})

describe('the generated workflow', () => {
  it('is a valid workflow (SchemaStore schema), in the shape the Classroom actions read', () => {
    expect(validateWorkflow(text).errors).toEqual([])
    const graded = steps.filter((step) => step.uses?.startsWith(`${ACTIONS.commandGrader.repo}@`))
    expect(graded.map((step) => step.with?.['test-name'])).toEqual(katas.map((kata) => kata.folder))
    // The command grader's inputs (its action.yml), and the reporter's runners and <ID>_RESULTS (its src/main.js).
    for (const step of graded) expect(Object.keys(step.with ?? {}).sort()).toEqual(['command', 'max-score', 'test-name', 'timeout'])
    const reporter = steps.at(-1)!
    expect(reporter.uses).toBe(`${ACTIONS.reporter.repo}@${ACTIONS.reporter.sha}`)
    expect(String(reporter.with?.runners).split(',')).toEqual(graded.map((step) => step.id))
    expect(reporter.env).toEqual(Object.fromEntries(graded.map((step) => [`${step.id!.toUpperCase()}_RESULTS`, `\${{ steps.${step.id}.outputs.result }}`])))
  })
})

describe('run in a student repository', () => {
  it('refuses a shallow checkout, which cannot reach the template', async () => {
    const clone = await cloneOf('broken', ['--depth', '1'])
    const restore = await runStep(restoreStep().run!, clone)
    expect(restore.exitCode).not.toBe(0)
    expect(restore.output).toContain('::error::shallow checkout')
  })

  it('gives every kata its points when the student commit holds the reference solutions', async () => {
    const clone = await restoredClone('correct')
    let total = 0
    for (const step of kataSteps()) {
      const { exitCode, output } = await runKataCommand(step.command, clone)
      expect(exitCode, `${step.kata.folder}:\n${output}`).toBe(0)
      expect(output).toContain(`✔ ${step.kata.folder}  done`)
      expect(output, 'the command runs that one kata').toContain('(this run had 1 of 17 katas')
      total += exitCode === 0 ? step.maxScore : 0
    }
    expect(total).toBe(kataSteps().reduce((sum, step) => sum + step.maxScore, 0))
  })

  it('gives a wrong kata 0 and shows the learner its teaching message, even where the student rewrote the tests', async () => {
    const unrestored = await cloneOf('broken', [], 'unrestored')
    const tampered = await runKataCommand(kataSteps()[0]!.command, unrestored)
    expect(tampered.exitCode, 'without the restore step, the rewritten test script passes').toBe(0)
    const clone = await restoredClone('broken')
    expect(existsSync(join(clone, 'katas', '02-port-zero', 'a-first.test.ts')), 'a test file the student added is gone').toBe(false)
    for (const step of kataSteps().filter((step) => BROKEN_KATAS.includes(step.kata.folder))) {
      const { exitCode, output } = await runKataCommand(step.command, clone)
      expect(exitCode, `${step.kata.folder}:\n${output}`).not.toBe(0)
      const flat = output.replace(/\s+/g, ' ')
      expect(flat).toContain(`What this test checks (katas/${step.kata.folder}/README.md)`)
      expect(flat, 'the failure its wrong answer is caught by').toContain(await caughtBy(step.kata))
      expect(output, 'the command runs that one kata').toContain('(this run had 1 of 17 katas')
    }
  })
})

function restoreStep(): Step {
  return steps.find((step) => step.id === 'restore-template')!
}

function kataSteps(): KataStep[] {
  return steps
    .filter((step) => step.uses?.startsWith(`${ACTIONS.commandGrader.repo}@`))
    .map((step) => ({
      kata: katas.find((kata) => kata.folder === step.with?.['test-name'])!,
      command: String(step.with?.command),
      maxScore: Number(step.with?.['max-score']),
    }))
}

/** The template repository: this project as shipped (the stubs in katas/), one commit. */
async function templateRepository(): Promise<ProjectCopy> {
  const copy = await copyOfProject()
  await git(copy.root, 'init', '-q', '-b', 'main')
  await git(copy.root, 'add', '-A')
  await git(copy.root, 'commit', '-q', '-m', 'Initial commit')
  return copy
}

/** A student's branch: their kata files, one commit on top of the template. */
async function studentCommit(branch: string, kataFile: (kata: Kata) => Promise<string>, alsoChange?: (root: string) => Promise<void>): Promise<void> {
  await git(template.root, 'checkout', '-q', '-b', branch, 'main')
  for (const kata of katas) await writeFile(join(template.root, 'katas', kata.folder, kata.implementationFile), await kataFile(kata))
  await alsoChange?.(template.root)
  await git(template.root, 'add', '-A')
  await git(template.root, 'commit', '-q', '-m', `${branch} work`)
}

/** What a student could push to pass without solving: a test that always passes, an extra test file, a test script that runs nothing. */
async function tamperWithTheTests(root: string): Promise<void> {
  const test = join(root, 'katas', '01-bind', 'bind.test.ts')
  await writeFile(test, "import { it } from 'vitest'\nit('passes', () => {})\n")
  await writeFile(join(root, 'katas', '02-port-zero', 'a-first.test.ts'), "import { it } from 'vitest'\nit('passes', () => {})\n")
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  pkg.scripts.test = 'exit 0'
  await writeFile(join(root, 'package.json'), JSON.stringify(pkg, null, 2))
}

async function cloneOf(branch: string, options: string[] = [], name = branch): Promise<string> {
  const clone = join(template.root, '.clones', `${name}${options.join('')}`)
  await git(template.root, 'clone', '-q', ...options, '--branch', branch, `file://${template.root}`, clone)
  await symlink(join(projectRoot, 'node_modules'), join(clone, 'node_modules')) // one install for every clone: npm ci is not run here
  return clone
}

async function restoredClone(branch: string): Promise<string> {
  const clone = await cloneOf(branch)
  const restore = await runStep(restoreStep().run!, clone)
  expect(restore.exitCode, restore.output).toBe(0)
  const template = (await git(clone, 'rev-list', '--max-parents=0', 'HEAD')).trim()
  const differing = (await git(clone, 'diff', '--name-only', template)).split('\n').filter(Boolean)
  expect(differing, 'only the kata files differ from the template').toEqual(katas.map((kata) => `katas/${kata.folder}/${kata.implementationFile}`))
  return clone
}

async function firstWrongAnswer(kata: Kata): Promise<string> {
  const folder = join(projectRoot, 'fixtures', 'wrong', kata.folder)
  return join(folder, (await readdir(folder)).sort()[0]!)
}

/** The fixture's "// Caught by:" line: text its kata's failure must contain (tools/verify.ts checks the same). */
async function caughtBy(kata: Kata): Promise<string> {
  const source = await readFile(await firstWrongAnswer(kata), 'utf8')
  return /^\/\/ Caught by: (.+)$/m.exec(source)![1]!.trim().replace(/\s+/g, ' ')
}

/**
 * As the command grader runs `command`: execSync through /bin/sh with only these variables
 * (src/main.js at v1: PATH, FORCE_COLOR, DOTNET_CLI_HOME, DOTNET_NOLOGO, HOME); exit 0 earns max-score.
 */
function runKataCommand(command: string, cwd: string): Promise<{ exitCode: number | null; output: string }> {
  const env = { PATH: gradingPath, FORCE_COLOR: 'true', DOTNET_CLI_HOME: '/tmp', DOTNET_NOLOGO: 'true', HOME: process.env.HOME ?? '/root' }
  return run('/bin/sh', ['-c', command], cwd, env)
}

/**
 * A `run:` step as Actions runs it on Linux when no shell is named: `bash -e {0}`.
 * https://docs.github.com/en/actions/using-workflows/workflow-syntax-for-github-actions#jobsjob_idstepsshell
 */
async function runStep(script: string, cwd: string): Promise<{ exitCode: number | null; output: string }> {
  const file = join(cwd, '..', `step-${Date.now()}.sh`)
  await writeFile(file, script)
  return run('bash', ['-e', file], cwd, { PATH: gradingPath, HOME: process.env.HOME ?? '/root' })
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const identity = { GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.invalid', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.invalid' }
  const result = await run('git', args, cwd, { ...process.env, ...identity })
  if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${result.output}`)
  return result.output
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL' })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('error', reject)
    child.once('close', (exitCode) => resolve({ exitCode, output: stripVTControlCharacters(output) }))
  })
}
