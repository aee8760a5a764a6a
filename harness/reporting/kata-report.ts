/**
 * One kata's result, written for the learner: a stub is one friendly line, a finished kata one line,
 * and a kata in progress lists its tests and then explains its first failure in full: what the
 * socket did against what was expected, what any error code usually means, what the lesson says the
 * test checks, the kernel's view of the sockets at that moment, and where it went wrong.
 */
import { relative } from 'node:path'
import { bold, dim, green, red, yellow } from './colors.ts'
import { explainCodes } from './error-codes.ts'
import { normaliseTestName } from './lessons.ts'
import { isNotImplemented, kataState, NOT_IMPLEMENTED, type KataRun, type TestOutcome } from './progress.ts'

export interface ReportContext {
  /** Test descriptions from the kata's lesson, by normalised test name (lessons.ts). */
  descriptions: Map<string, string>
  /** The lesson's path, as the learner should see it. */
  lessonPath: string
}

const MAX_VALUE_LINES = 12

export function formatKataReport(run: KataRun, context: ReportContext): string {
  const state = kataState(run)
  const name = bold(run.kata.folder)
  const skipped = skippedNote(run.tests)
  switch (state.kind) {
    case 'done':
      return [`${green('✔')} ${name}  all ${state.total} tests pass${skipped}`, ...run.tests.filter((test) => test.printed).map(printedBy)].join('\n')
    case 'not-started': {
      const stub = run.tests.find((test) => isNotImplemented(test.message))?.message ?? ''
      const todo = stub.replace(/^Error: /, '').replace(`${NOT_IMPLEMENTED}: `, '')
      return `${dim('○')} ${name}  not started: ${todo}`
    }
    case 'broken':
      return `${red('✘')} ${name}  could not run: ${indent(firstLines(state.reason, 6), '    ').trimStart()}`
    case 'in-progress':
      return [
        `${yellow('◐')} ${name}  ${state.passing} of ${state.total} tests pass${skipped}`,
        ...run.tests.filter((test) => test.state !== 'skipped').flatMap((test) => [testLine(test), ...(test.printed ? [printedLines(test.printed)] : [])]),
        '',
        firstFailure(run.tests.find((test) => test.state === 'failed')!, context),
      ].join('\n')
  }
}

function testLine(test: TestOutcome): string {
  return test.state === 'passed' ? `    ${green('✔')} ${dim(test.name)}` : `    ${red('✘')} ${test.name}`
}

/** At most this many lines of what one test's run printed are shown. */
const MAX_PRINTED_LINES = 12

/** What the learner's code printed during a test, under that test, marked as theirs. */
function printedLines(printed: string): string {
  const lines = printed.replace(/\n$/, '').split('\n')
  const shown = lines.slice(0, MAX_PRINTED_LINES).map((line) => `      ${dim('│')} ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`)
  if (lines.length > MAX_PRINTED_LINES) shown.push(`      ${dim(`│ … ${lines.length - MAX_PRINTED_LINES} more lines`)}`)
  return shown.join('\n')
}

function printedBy(test: TestOutcome): string {
  return `    ${dim(`your code printed, in "${test.name}":`)}\n${printedLines(test.printed!)}`
}

function firstFailure(test: TestOutcome, context: ReportContext): string {
  const failure = test.failure ?? { summary: test.message ?? 'failed' }
  const lines = [`  ${bold('First failure:')} ${test.name}`, indent(failure.summary, '    ')]
  if (failure.expected !== undefined) lines.push(`      ${dim('expected:')} ${indent(capLines(failure.expected), '                ').trimStart()}`)
  if (failure.actual !== undefined) lines.push(`      ${dim('got:     ')} ${indent(capLines(failure.actual), '                ').trimStart()}`)
  const mentioned = [failure.summary, failure.expected ?? '', failure.actual ?? ''].join(' ')
  for (const { code, cause } of explainCodes(mentioned)) lines.push(`    ${bold(code)}: ${cause}`)
  const description = context.descriptions.get(normaliseTestName(test.name))
  if (description) lines.push(`    ${dim('What this test checks')} ${dim(`(${context.lessonPath})`)}${dim(':')} ${description}`)
  if (failure.kernelView) lines.push(`    ${dim("The kernel's sockets when it failed:")}`, indent(failure.kernelView, '      '))
  if (failure.location) lines.push(`    ${dim(`at ${failure.location}`)}`)
  return lines.join('\n')
}

function skippedNote(tests: TestOutcome[]): string {
  const skipped = tests.filter((test) => test.state === 'skipped')
  if (skipped.length === 0) return ''
  const reasons = [...new Set(skipped.map((test) => test.skipNote ?? 'no reason given'))].join('; ')
  return dim(`  (${skipped.length} skipped here: ${reasons})`)
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n')
}

function firstLines(text: string, count: number): string {
  return text.split('\n').slice(0, count).join('\n')
}

function capLines(text: string): string {
  const lines = text.split('\n')
  return lines.length <= MAX_VALUE_LINES ? text : [...lines.slice(0, MAX_VALUE_LINES), `… ${lines.length - MAX_VALUE_LINES} more lines`].join('\n')
}

/** A path as the learner should see it: relative to where they typed the command. */
export function shownPath(path: string, cwd: string): string {
  return relative(cwd, path) || '.'
}
