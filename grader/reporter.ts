/**
 * The grader's Vitest reporter: appends one JSON line per event to the file KATA_EVENTS_FILE names,
 * as it happens, so a run killed on timeout still tells which tests finished and which one was
 * running. It runs in Vitest's main process; the code under test runs in kata processes of its own
 * (as another user, under the grader) and can neither block nor reach it. Lines are signed (see
 * events.ts), so that nothing else can append lines that pass for the reporter's.
 */
import { appendFileSync, readFileSync, rmSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import type { Reporter, TestCase, TestModule } from 'vitest/node'
import { kataOfTestFile, type Kata } from '../harness/katas.ts'
import { implementationRoot, katasDir, projectRoot, testsRoot } from '../harness/paths.ts'
import { failureExplained } from '../harness/reporting/kata-report.ts'
import { testOutcomeOf } from '../harness/reporting/kata-results.ts'
import { parseTestDescriptions } from '../harness/reporting/lessons.ts'
import { signLine, type RunEvent } from './events.ts'

/** How much of what the learner's code printed during one test is kept. */
const CONSOLE_CAP = 2048

export default class GradingReporter implements Reporter {
  private readonly file = process.env.KATA_EVENTS_FILE
  private readonly key = takeKey()

  private emit(event: RunEvent): void {
    if (this.file) appendFileSync(this.file, `${signLine(event, this.key)}\n`)
  }

  onTestModuleStart(module: TestModule): void {
    this.emit({ type: 'kata-start', kata: kataOf(module) })
  }

  onTestCaseReady(test: TestCase): void {
    this.emit({ type: 'test-start', kata: kataOf(test.module), name: test.fullName })
  }

  onTestCaseResult(test: TestCase): void {
    const result = test.result()
    const message = result.state === 'failed' ? result.errors.map((error) => error.message).join('\n') : undefined
    const note = result.state === 'skipped' ? result.note : undefined
    const state = result.state === 'passed' || result.state === 'failed' ? result.state : 'skipped'
    const console = test.meta().kataOutput?.slice(0, CONSOLE_CAP)
    const teaching = result.state === 'failed' ? this.teaching(test) : undefined
    this.emit({ type: 'test', kata: kataOf(test.module), name: test.fullName, title: test.name, state, message, teaching, note, console })
  }

  private readonly descriptions = new Map<string, Map<string, string>>()

  /** A failed test explained as `npm test` explains it to the learner, the lesson's description included. */
  private teaching(test: TestCase): string | undefined {
    const kata = kataOfTestFile(test.module.moduleId)
    if (!kata) return undefined
    const outcome = testOutcomeOf(test, kata.implementationFile, asTheStudentSeesIt)
    const lessonPath = `katas/${kata.folder}/README.md`
    return stripVTControlCharacters(failureExplained(outcome, { descriptions: this.descriptionsOf(kata), lessonPath }))
  }

  private descriptionsOf(kata: Kata): Map<string, string> {
    let descriptions = this.descriptions.get(kata.folder)
    if (!descriptions) this.descriptions.set(kata.folder, (descriptions = parseTestDescriptions(lessonOf(kata))))
    return descriptions
  }

  onTestModuleEnd(module: TestModule): void {
    const errors = module.errors().map((error) => error.message)
    this.emit({ type: 'kata-end', kata: kataOf(module), errors })
  }

  onTestRunEnd(_modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const messages = unhandledErrors.map((error) => String((error as Error)?.message ?? error))
    this.emit({ type: 'run-end', unhandledErrors: messages })
  }
}

/** The kata's lesson: the --tests folder's own, else the one the student has. */
function lessonOf(kata: Kata): string {
  for (const root of [testsRoot(), katasDir]) {
    try {
      return readFileSync(join(root, kata.folder, 'README.md'), 'utf8')
    } catch {
      // none there
    }
  }
  return ''
}

/** A file as the student knows it: their kata file and the kata tests under katas/, wherever the grader staged them. */
function asTheStudentSeesIt(file: string): string {
  for (const root of [implementationRoot(), testsRoot()]) {
    if (file.startsWith(`${root}${sep}`)) return `katas/${relative(root, file)}`
  }
  return relative(projectRoot, file)
}

/** Reads the signing key and deletes its file, before any kata code runs. */
function takeKey(): string {
  const keyFile = process.env.KATA_EVENTS_KEY_FILE
  delete process.env.KATA_EVENTS_KEY_FILE
  if (!keyFile) return ''
  const key = readFileSync(keyFile, 'utf8')
  rmSync(keyFile)
  return key
}

function kataOf(module: TestModule): string {
  return kataOfTestFile(module.moduleId)?.folder ?? module.moduleId
}
