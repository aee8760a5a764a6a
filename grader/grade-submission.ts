/**
 * One submission, graded: static checks, then the tests of every kata that can run, and an exact
 * account of anything that went wrong. The tests run first in one cheap shared run; any kata that
 * did not pass everything there runs again in isolation, and that run decides its points. A kata
 * that hangs or crashes costs that kata only: when one kata is left unfinished it is the culprit, once
 * it has run out of time alone (in a run with others it may only have been last in line); when several
 * are, each runs again alone, and so does any kata that lost points in a run beside one that hung
 * (they shared its limits).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { kataFromFolder, type Kata } from '../harness/katas.ts'
import { formatDuration } from '../harness/lifecycle/within.ts'
import { normaliseTestName } from '../harness/reporting/lessons.ts'
import type { CalibratedKata, Calibration } from './calibration.ts'
import type { KataRun, TestOutcome } from './events.ts'
import { sumPoints } from './manifest.ts'
import type { RunOutcome, RunRequest, Runner } from './run-request.ts'
import { checkKataSource } from './static-checks.ts'
import { findKataFile, stageKataFiles, type Submission } from './submissions.ts'

export type ProblemKind =
  | 'missing'
  | 'unreadable'
  | 'compile-error'
  | 'forbidden-import'
  | 'missing-export'
  | 'could-not-load'
  | 'timed-out'
  | 'crashed'
  | 'grader-error'

export interface TestGrade {
  name: string
  maxPoints: number
  points: number
  passed: boolean
  /** The failure message and what the test printed (capped), or why it could not run. */
  output: string
  /**
   * One of the instructor's own tests (a --tests folder), which the student's lesson does not describe:
   * its output is passed or failed alone, nothing of the test's source or messages.
   */
  hidden?: boolean
}

export interface KataGrade {
  kata: string
  maxPoints: number
  points: number
  /** Set when the kata's tests could not run normally, with the reason. */
  problem?: { kind: ProblemKind; reason: string }
  tests: TestGrade[]
}

export interface SubmissionGrade {
  submission: string
  points: number
  maxPoints: number
  executionSeconds: number
  katas: KataGrade[]
}

export interface GradingContext {
  runner: Runner
  calibration: Calibration
  /** The functions each kata's file must export, by kata folder. */
  requiredExports: Map<string, string[]>
  timeoutMs: number
  memoryMiB: number
  /**
   * With an instructor's --tests folder: the tests each kata's lesson describes (normalised names),
   * by kata folder. Any other test is one of the instructor's own, reported as passed or failed alone.
   */
  publicTests?: Map<string, Set<string>>
}

type KataResult = { kind: 'ran'; run: KataRun } | { kind: 'timed-out' | 'crashed'; reason: string }

/**
 * How often a run is made before its record is given up as unreadable. The code under test cannot
 * reach the events file (another user, outside its view), so a line without the reporter's signature
 * is the grader's fault: the run is made again, and the submission is never given a zero for it.
 */
const RUN_ATTEMPTS = 3

/** A test's output is capped so results stay small however much the code printed. */
const TEST_OUTPUT_CAP = 4000

export async function gradeSubmission(submission: Submission, context: GradingContext): Promise<SubmissionGrade> {
  const started = performance.now()
  const problems = new Map<string, KataGrade['problem']>()
  const runnable: { kata: Kata; source: string }[] = []
  for (const calibrated of context.calibration.katas) {
    const kata = kataFromFolder(calibrated.kata)!
    const found = await findKataFile(submission, kata)
    if ('problem' in found) {
      problems.set(kata.folder, { kind: found.problem, reason: found.reason })
      continue
    }
    const problem = checkKataSource(found.source, kata.implementationFile, context.requiredExports.get(kata.folder) ?? [])
    if (problem) problems.set(kata.folder, { kind: problem.problem, reason: problem.reason })
    else runnable.push({ kata, source: found.source })
  }

  const results = await runStaged(runnable, context)
  const katas = context.calibration.katas.map((calibrated) =>
    gradeKata(calibrated, problems.get(calibrated.kata) ?? problemOf(results.get(calibrated.kata)), results.get(calibrated.kata), context.publicTests),
  )
  return {
    submission: submission.name,
    points: sumPoints(katas.map((kata) => kata.points)),
    maxPoints: sumPoints(katas.map((kata) => kata.maxPoints)),
    executionSeconds: Math.round((performance.now() - started) / 100) / 10,
    katas,
  }
}

async function runStaged(files: { kata: Kata; source: string }[], context: GradingContext): Promise<Map<string, KataResult>> {
  const results = new Map<string, KataResult>()
  if (files.length === 0) return results
  const stageDir = await mkdtemp(join(tmpdir(), 'socket-katas-submission-'))
  try {
    await stageKataFiles(stageDir, files)
    // The shared run may be cut short: whatever it leaves unfinished only goes on to the isolated run.
    const run = (katas: string[], shared = false) =>
      runWithReadableRecord(context.runner, { implementationDir: stageDir, katas, timeoutMs: shared ? context.timeoutMs / 2 : context.timeoutMs, shared })
    const all = files.map(({ kata }) => kata.folder)

    // Cheap first: every kata in one shared run. A kata that passes everything there is done.
    const shared = await run(all, true)
    for (const kata of all) {
      const kataRun = shared.record.katas.get(kata)
      if (kataRun && passedEverything(kataRun)) results.set(kata, { kind: 'ran', run: kataRun })
    }

    // The rest are judged on their own: each in a fresh worker, so no other kata can have cost it points.
    const rest = all.filter((kata) => !results.has(kata))
    if (rest.length === 0) return results
    const isolated = await run(rest)
    const unfinished = rest.filter((kata) => !isolated.record.katas.get(kata)?.finished)
    for (const kata of rest.filter((k) => !unfinished.includes(k))) results.set(kata, { kind: 'ran', run: isolated.record.katas.get(kata)! })

    // A kata that hung or crashed that run: when it is the only one left, it is the culprit, unless the run
    // held others and ran out of time: then it may only have been the last in line (the time was everyone's,
    // and a busy host stretches it), so it runs alone first. Otherwise each runs alone.
    // Beside one that hung, the others shared its limits (processes, memory): any that lost points runs alone too.
    const lostPointsBesideAHang = unfinished.length === 0 ? [] : rest.filter((kata) => !unfinished.includes(kata) && !passedEverything(isolated.record.katas.get(kata)!))
    const culprit = unfinished.length === 1 && (rest.length === 1 || !isolated.timedOut) ? unfinished[0] : undefined
    if (culprit) results.set(culprit, failureOf(isolated, culprit, context))
    const runAlone = [...unfinished.filter((kata) => kata !== culprit), ...lostPointsBesideAHang]
    for (const kata of runAlone) {
      const alone = await run([kata])
      const kataRun = alone.record.katas.get(kata)
      results.set(kata, kataRun?.finished ? { kind: 'ran', run: kataRun } : failureOf(alone, kata, context))
    }
    return results
  } finally {
    await rm(stageDir, { recursive: true, force: true })
  }
}

async function runWithReadableRecord(runner: Runner, request: RunRequest): Promise<RunOutcome> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await runner.run(request)
    if (!outcome.record.unsigned) return outcome
    if (attempt === RUN_ATTEMPTS) throw new Error(`the grader's record of a run had lines it did not sign, ${RUN_ATTEMPTS} runs in a row; grade this submission again`)
  }
}

function passedEverything(run: KataRun): boolean {
  return run.finished && run.errors.length === 0 && run.tests.size > 0 && [...run.tests.values()].every((test) => test.state !== 'failed')
}

function failureOf(outcome: RunOutcome, kata: string, context: GradingContext): KataResult {
  const running = outcome.record.katas.get(kata)?.running
  const during = running ? ` (during "${running}")` : ''
  if (outcome.timedOut) {
    return { kind: 'timed-out', reason: `timed out: no result within ${formatDuration(context.timeoutMs)}${during}; an endless loop or a wait that never ends?` }
  }
  const how = outcome.exit.signal ? `killed by ${outcome.exit.signal}` : `exit code ${outcome.exit.code}`
  const outOfMemory = /out[ _]of[ _]memory|bad_alloc|allocation failed|reached heap limit/i.test(outcome.outputTail)
    ? `: out of memory (the limit is ${context.memoryMiB} MiB)`
    : ''
  const lastWords = lastErrorLine(outcome.outputTail)
  return { kind: 'crashed', reason: `the test process crashed (${how})${during}${outOfMemory}${lastWords ? `; it printed: ${lastWords}` : ''}` }
}

function problemOf(result: KataResult | undefined): KataGrade['problem'] {
  if (!result) return undefined
  if (result.kind !== 'ran') return { kind: result.kind, reason: result.reason }
  if (result.run.tests.size === 0 && result.run.errors.length > 0) {
    return { kind: 'could-not-load', reason: `could not load: ${firstLine(result.run.errors[0])}` }
  }
  return undefined
}

function gradeKata(calibrated: CalibratedKata, problem: KataGrade['problem'], result: KataResult | undefined, publicTests?: GradingContext['publicTests']): KataGrade {
  const run = result?.kind === 'ran' ? result.run : undefined
  const tests = calibrated.tests.map(({ name, title, maxPoints }): TestGrade => {
    const hidden = publicTests ? { hidden: !publicTests.get(calibrated.kata)?.has(normaliseTestName(title ?? name)) } : {}
    if (problem) return { name, maxPoints, points: 0, passed: false, output: problem.reason, ...hidden }
    const outcome = run?.tests.get(name)
    const passed = outcome?.state === 'passed'
    const output = hidden.hidden ? hiddenTestOutput(passed) : testOutput(outcome, run)
    return { name, maxPoints, points: passed ? maxPoints : 0, passed, output, ...hidden }
  })
  return { kata: calibrated.kata, maxPoints: calibrated.maxPoints, points: sumPoints(tests.map((t) => t.points)), problem, tests }
}

function testOutput(outcome: TestOutcome | undefined, run: KataRun | undefined): string {
  if (!outcome) return `did not run${run?.errors[0] ? `: ${firstLine(run.errors[0])}` : ''}`
  if (outcome.state === 'skipped') return `skipped here, unlike for the reference solution: ${outcome.note ?? 'no reason given'}`
  const printed = outcome.console ? `\n--- printed ---\n${outcome.console}` : ''
  const failure = outcome.teaching ?? outcome.message ?? 'failed'
  return cap(`${outcome.state === 'passed' ? '' : failure}${printed}`.trim(), TEST_OUTPUT_CAP)
}

/** An instructor's own test says whether it passed, and nothing of what it checks or what the code printed. */
function hiddenTestOutput(passed: boolean): string {
  return passed ? 'passed' : "failed: this is one of your instructor's own tests, and its details are not shown"
}

export function cap(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}\n[... ${text.length - limit} more characters cut]`
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0] ?? ''
}

/** The last line of a crash's output that says what went wrong, rather than where (stack frames). */
function lastErrorLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean)
  const isStackFrame = (line: string) => line.startsWith('at ') || /^\d+: 0x[0-9a-f]+ /.test(line)
  const telling = lines.filter((line) => /error|fatal|terminate|killed|abort|memory/i.test(line) && !isStackFrame(line))
  return (telling.at(-1) ?? lines.at(-1) ?? '').slice(0, 300)
}
