/** A Vitest test module (one kata's test file), read as a kata run with failures that can teach. */
import { relative } from 'node:path'
import type { TestError } from 'vitest'
import type { TestCase, TestModule } from 'vitest/node'
import { kataOfTestFile } from '../katas.ts'
import type { FailureDetails, KataRun, TestOutcome } from './progress.ts'

/** How a file is named in a failure's location: relative to where the learner typed the command, or as the grader shows it. */
export type ShowPath = (file: string) => string

export function kataRunOf(module: TestModule, cwd: string): KataRun | undefined {
  const kata = kataOfTestFile(module.moduleId)
  if (!kata) return undefined
  const show = (file: string) => relative(cwd, file)
  const tests = [...module.children.allTests()].map((test) => testOutcomeOf(test, kata.implementationFile, show))
  const [loadError] = module.errors()
  return tests.length === 0 && loadError ? { kata, tests, loadError: loadError.message } : { kata, tests }
}

export function testOutcomeOf(test: TestCase, implementationFile: string, show: ShowPath): TestOutcome {
  const result = test.result()
  const { kataOutput: printed, kernelView } = test.meta()
  if (result.state === 'skipped') return { name: test.name, state: 'skipped', skipNote: result.note }
  if (result.state !== 'failed') return { name: test.name, state: result.state === 'passed' ? 'passed' : 'skipped', printed }
  const [failure, ...moreFailures] = mostTellingFirst(result.errors).map((error) => failureOf(error, implementationFile, show))
  if (failure) failure.kernelView = kernelView
  const outcome: TestOutcome = { name: test.name, state: 'failed', message: result.errors[0]?.message, failure, printed }
  return moreFailures.length > 0 ? { ...outcome, moreFailures } : outcome
}

/** A deadline ("never settled within 2 s") says least: what went wrong meanwhile (an unhandled error, say) comes first. */
function mostTellingFirst(errors: ReadonlyArray<TestError>): TestError[] {
  const deadline = (error: TestError) => error.name === 'DeadlineError'
  return [...errors.filter((error) => !deadline(error)), ...errors.filter(deadline)]
}

/** An assertion with a message reads "<what went wrong>: expected X to be Y"; the first part is the test's own words. */
export function failureOf(error: TestError, implementationFile: string, show: ShowPath): FailureDetails {
  const message = error.message ?? String(error)
  const cut = message.indexOf(': expected ')
  const summary = cut > 0 && error.expected !== undefined ? message.slice(0, cut) : message
  // Vitest hands over numbers as they are (toBeLessThan, toBeGreaterThanOrEqual): the report shows text.
  const text = (value: unknown) => (value === undefined ? undefined : String(value))
  return { summary, expected: text(error.expected), actual: text(error.actual), location: locationOf(error, implementationFile, show) }
}

function locationOf(error: TestError, implementationFile: string, show: ShowPath): string | undefined {
  const frames = (error.stacks ?? []).filter((frame) => frame.file && !frame.file.includes('node_modules'))
  const frame = frames.find((f) => f.file.endsWith(`/${implementationFile}`)) ?? frames.find((f) => f.file.endsWith('.test.ts'))
  return frame ? `${show(frame.file)}:${frame.line}:${frame.column}` : undefined
}

/** The kata runs among Vitest's test modules, in kata order. */
export function katasOf(testModules: ReadonlyArray<TestModule>, cwd: string): KataRun[] {
  return testModules
    .filter((module) => module.project.name === 'katas')
    .map((module) => kataRunOf(module, cwd))
    .filter((run): run is KataRun => run !== undefined)
    .sort((a, b) => a.kata.folder.localeCompare(b.kata.folder))
}
