/** Where a learner stands: one line per kata, then the kata to open next. */
import { join, relative } from 'node:path'
import { bold, dim, fileLink, green, red, yellow } from './colors.ts'
import { listKatas, type Kata } from '../katas.ts'
import { implementationRoot, testsRoot, typedFrom } from '../paths.ts'

/** Every stub throws an error that starts with this; a kata whose tests all fail with it is not started. */
export const NOT_IMPLEMENTED = 'Not implemented yet'

export interface TestOutcome {
  name: string
  state: 'passed' | 'failed' | 'skipped'
  /** The first error's message, for a failed test. */
  message?: string
  /** Why it was skipped, for a skipped test. */
  skipNote?: string
  /** What a failure looked like, for failures that teach: the most telling of the test's errors. */
  failure?: FailureDetails
  /** The test's other errors (a deadline beside an unhandled error, say), for the full explanation. */
  moreFailures?: FailureDetails[]
  /** What the learner's code printed while the test ran (console.log, stdout, stderr). */
  printed?: string
}

export interface FailureDetails {
  /** What went wrong, in the test's own words (the assertion's explanation, or the error's message). */
  summary: string
  expected?: string
  actual?: string
  /** Where it went wrong: the learner's file when the error came from there, otherwise the test. */
  location?: string
  /** The kernel's sockets involved when the test failed, as a table (kernel-view.ts). */
  kernelView?: string
}

export interface KataRun {
  kata: Kata
  tests: TestOutcome[]
  /** Set when the test file could not even load (a syntax error in the learner's file, say). */
  loadError?: string
}

/** The stub's own error (with or without the "Error: " a stack trace puts in front of it). */
export function isNotImplemented(message: string | undefined): boolean {
  return message?.replace(/^Error: /, '').startsWith(NOT_IMPLEMENTED) === true
}

export type KataState =
  | { kind: 'done'; passing: number; total: number }
  | { kind: 'in-progress'; passing: number; total: number }
  | { kind: 'not-started'; total: number }
  | { kind: 'broken'; reason: string }
  /** Every test skipped: this machine cannot run the kata (kata 17 on a Node without reusePort). */
  | { kind: 'cannot-run-here'; reason: string }

export function kataState({ tests, loadError }: KataRun): KataState {
  if (loadError !== undefined) return { kind: 'broken', reason: loadError }
  const ran = tests.filter((test) => test.state !== 'skipped')
  if (tests.length > 0 && ran.length === 0) return { kind: 'cannot-run-here', reason: skipReasons(tests) }
  const passing = ran.filter((test) => test.state === 'passed').length
  if (ran.length > 0 && passing === ran.length) return { kind: 'done', passing, total: ran.length }
  const untouched = ran.every((test) => test.state === 'failed' && isNotImplemented(test.message))
  if (passing === 0 && untouched) return { kind: 'not-started', total: ran.length }
  return { kind: 'in-progress', passing, total: ran.length }
}

/** Whether the learner has work left in a kata: not when it passes, nor when this machine cannot run it. */
export function hasWorkLeft(state: KataState): boolean {
  return state.kind !== 'done' && state.kind !== 'cannot-run-here'
}

/** Why tests were skipped, each reason once. */
export function skipReasons(tests: TestOutcome[]): string {
  return [...new Set(tests.filter((test) => test.state === 'skipped').map((test) => test.skipNote ?? 'no reason given'))].join('; ')
}

interface Paths {
  /** The folder the learner's files are in (KATA_IMPL, katas/ by default). */
  implementationRoot: string
  /** The folder the lessons are in. */
  testsRoot: string
  /** Where the learner typed the command: paths are printed relative to it, so a terminal can open them. */
  cwd: string
  /** How many katas there are, run or not. */
  totalKatas: number
}

/** The progress summary for this run: KATA_IMPL's katas, paths shown from where the command was typed. */
export function progressSummary(runs: KataRun[]): string {
  const tests = testsRoot()
  return formatProgress(runs, { implementationRoot: implementationRoot(), testsRoot: tests, cwd: typedFrom(), totalKatas: listKatas(tests).length })
}

export function formatProgress(runs: KataRun[], paths: Paths): string {
  const partial = runs.length < paths.totalKatas
  const width = Math.max(...runs.map((run) => run.kata.folder.length))
  const lines = runs.map((run) => formatKataLine(run, width))
  const next = runs.find((run) => hasWorkLeft(kataState(run)))
  const header = bold(`Progress (${relative(paths.cwd, paths.implementationRoot) || '.'})`)
  const unrunnable = runs.filter((run) => kataState(run).kind === 'cannot-run-here').length
  const allPass = unrunnable > 0 ? `Every kata this machine can run passes (${unrunnable} cannot run here: see above).` : partial ? 'Every kata in this run passes.' : 'Every kata passes. Well done.'
  const footer = next ? nextStep(next, paths) : green(allPass)
  const scope = partial ? [dim(`(this run had ${runs.length} of ${paths.totalKatas} katas; npm test runs them all)`)] : []
  return [header, ...lines, '', footer, ...scope].join('\n')
}

function formatKataLine(run: KataRun, width: number): string {
  const state = kataState(run)
  const name = run.kata.folder.padEnd(width)
  const skipped = run.tests.filter((test) => test.state === 'skipped')
  const skipNote = skipped.length > 0 ? dim(`  (${skipped.length} skipped: ${skipReasons(run.tests)})`) : ''
  switch (state.kind) {
    case 'done':
      return `  ${green('✔')} ${name}  ${green('done')} ${dim(`${state.passing}/${state.total}`)}${skipNote}`
    case 'in-progress':
      return `  ${yellow('◐')} ${name}  ${state.passing}/${state.total} tests passing${skipNote}`
    case 'not-started':
      return `  ${dim('○')} ${name}  ${dim('not started')}`
    case 'broken':
      return `  ${red('✘')} ${name}  ${red('could not run:')} ${firstLine(state.reason)}`
    case 'cannot-run-here':
      return `  ${dim('–')} ${name}  ${dim(`cannot run here: ${state.reason}`)}`
  }
}

function nextStep(run: KataRun, paths: Paths): string {
  const lesson = join(paths.testsRoot, run.kata.folder, 'README.md')
  const code = join(paths.implementationRoot, run.kata.folder, run.kata.implementationFile)
  const shown = (path: string) => fileLink(relative(paths.cwd, path), path)
  return `${bold('Next:')} ${run.kata.folder}: read ${shown(lesson)}, then edit ${shown(code)}  ${dim(`(npm test -- ${run.kata.number})`)}`
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? ''
}
