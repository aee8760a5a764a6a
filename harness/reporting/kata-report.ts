/**
 * One kata's result, written for the learner: a stub is one friendly line, a finished kata one line,
 * and a kata in progress lists its tests, each failing one with the first line of its reason, and
 * then explains one failure in full (the first, unless told otherwise): what the socket did against
 * what was expected, what any error code usually means, what the lesson says the test checks, the
 * kernel's view of the sockets at that moment, where it went wrong, and any other error the test met.
 */
import { relative } from 'node:path'
import { bold, dim, green, red, yellow } from './colors.ts'
import { explainCodes } from './error-codes.ts'
import { normaliseTestName } from './lessons.ts'
import { isNotImplemented, kataState, NOT_IMPLEMENTED, type FailureDetails, type KataRun, type TestOutcome } from './progress.ts'
import { cutToWidth, wrapToWidth } from './terminal-text.ts'

export interface ReportContext {
  /** Test descriptions from the kata's lesson, by normalised test name (lessons.ts). */
  descriptions: Map<string, string>
  /** The lesson's path, as the learner should see it. */
  lessonPath: string
  /** Which failing test to explain in full, counted from 0 (watch mode's n key steps through them); the first by default. */
  failureIndex?: number
  /** The terminal's width: lines wrap at word boundaries to it, and each failing test's reason is cut to one line. */
  width?: number
  /** To fit a small screen: the passing tests as one line that counts them, each failing test one line (its name, cut to width). */
  compact?: boolean
  /** To fit a smaller screen still: the failing tests as one line that counts them too, leaving the room to the explanation. */
  tight?: boolean
}

const MAX_VALUE_LINES = 12

export function formatKataReport(run: KataRun, context: ReportContext): string {
  const report = unwrappedReport(run, context)
  return context.width ? wrapToWidth(report, context.width) : report
}

/** The failing tests of a run, in the order the report lists them. */
export function failingTests(run: KataRun): TestOutcome[] {
  return run.tests.filter((test) => test.state === 'failed')
}

function unwrappedReport(run: KataRun, context: ReportContext): string {
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
      return `${red('✘')} ${name}  could not run: ${indent(throughCodeFrame(state.reason), '    ').trimStart()}`
    case 'cannot-run-here':
      return `${dim('–')} ${name}  cannot run here, every test skipped: ${state.reason}`
    case 'in-progress': {
      const failing = failingTests(run)
      const index = (context.failureIndex ?? 0) % failing.length
      const compact = context.compact === true || context.tight === true
      return [
        `${yellow('◐')} ${name}  ${state.passing} of ${state.total} tests pass${skipped}`,
        ...(compact && state.passing > 0 ? [`    ${green('✔')} ${dim(`${state.passing} passing ${state.passing === 1 ? 'test' : 'tests'}`)}`] : []),
        ...(context.tight ? [`    ${red('✘')} ${failing.length} failing ${failing.length === 1 ? 'test' : 'tests'}${failing.length > 1 ? dim(' (n explains the next)') : ''}`] : []),
        ...run.tests
          .filter((test) => (test.state === 'failed' && !context.tight) || (test.state === 'passed' && !compact))
          .flatMap((test) => [...testLines(test, context.width, compact), ...(test.printed && !compact ? [printedLines(test.printed)] : [])]),
        '',
        explanation(failing[index]!, index === 0 ? 'First failure:' : `Failure ${index + 1} of ${failing.length}:`, context),
      ].join('\n')
    }
  }
}

/** A passing test is its name; a failing one adds the first line of its reason (compact: one line, its name), cut to the terminal's width. */
function testLines(test: TestOutcome, width: number | undefined, compact: boolean): string[] {
  const cut = (line: string) => (width ? cutToWidth(line, width) : line)
  if (test.state === 'passed') return [`    ${green('✔')} ${dim(test.name)}`]
  if (compact) return [cut(`    ${red('✘')} ${test.name}`)]
  return [`    ${red('✘')} ${test.name}`, cut(`        ${firstLine(summaryOf(test))}`)]
}

function summaryOf(test: TestOutcome): string {
  return test.failure?.summary ?? test.message ?? 'failed'
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

/**
 * One failing test explained in full: what went wrong, expected against got, what each error code
 * usually means, what the lesson says the test checks, the kernel's sockets, where, and the test's
 * other errors. `npm test` shows it under the heading "First failure:"; the grader gives it to
 * students on their platform, word for word.
 */
function explanation(test: TestOutcome, heading: string, context: Pick<ReportContext, 'descriptions' | 'lessonPath'>): string {
  return [`  ${bold(heading)} ${test.name}`, ...explanationLines(test, context)].join('\n')
}

/** The same explanation without its heading or margin, for a place that shows the test's name itself (a grading platform). */
export function failureExplained(test: TestOutcome, context: Pick<ReportContext, 'descriptions' | 'lessonPath'>): string {
  return explanationLines(test, context)
    .join('\n')
    .replace(/^ {1,4}/gm, '')
}

function explanationLines(test: TestOutcome, context: Pick<ReportContext, 'descriptions' | 'lessonPath'>): string[] {
  const failure = test.failure ?? { summary: summaryOf(test) }
  const lines = [...details(failure)]
  const description = context.descriptions.get(normaliseTestName(test.name))
  if (description) lines.push(`    ${dim('What this test checks')} ${dim(`(${context.lessonPath})`)}${dim(':')} ${description}`)
  if (failure.kernelView) lines.push(`    ${dim("The kernel's sockets when it failed:")}`, indent(failure.kernelView, '      '))
  if (failure.location) lines.push(`    ${dim(`at ${failure.location}`)}`)
  for (const more of test.moreFailures ?? []) {
    lines.push(`  ${bold('This test also failed with:')}`, ...details(more))
    if (more.location) lines.push(`    ${dim(`at ${more.location}`)}`)
  }
  return lines
}

/** What went wrong, expected against got, and what each error code mentioned usually means. */
function details(failure: FailureDetails): string[] {
  const lines = [indent(failure.summary, '    ')]
  if (failure.expected !== undefined) lines.push(`      ${dim('expected:')} ${indent(capLines(failure.expected), '                ').trimStart()}`)
  if (failure.actual !== undefined) lines.push(`      ${dim('got:     ')} ${indent(capLines(failure.actual), '                ').trimStart()}`)
  const mentioned = [failure.summary, failure.expected ?? '', failure.actual ?? ''].join(' ')
  for (const { code, cause } of explainCodes(mentioned)) lines.push(`    ${bold(code)}: ${cause}`)
  return lines
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

/** At most this many lines of a compiler's message are shown, more only to reach the marker under the faulty spot. */
const MAX_REASON_LINES = 6

/** A load error's first lines, through the first code frame's marker lines (a caret, say) however far down they are. */
function throughCodeFrame(reason: string): string {
  const lines = reason.split('\n')
  const isMarker = (line: string | undefined) => line !== undefined && /^\s*(?:[·│|]\s*)?[\^~┬─╰]/.test(line)
  let last = lines.findIndex((line, i) => i > 0 && isMarker(line))
  while (last >= 0 && isMarker(lines[last + 1])) last++
  return lines.slice(0, Math.max(MAX_REASON_LINES, last + 1)).join('\n')
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? ''
}

function capLines(text: string): string {
  const lines = text.split('\n')
  return lines.length <= MAX_VALUE_LINES ? text : [...lines.slice(0, MAX_VALUE_LINES), `… ${lines.length - MAX_VALUE_LINES} more lines`].join('\n')
}

/** A path as the learner should see it: relative to where they typed the command. */
export function shownPath(path: string, cwd: string): string {
  return relative(cwd, path) || '.'
}
