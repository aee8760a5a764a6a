/**
 * npm run grade: grades every submission in a folder (or one shard of them), each in its own
 * isolated run, and writes grades.csv, junit.xml, report.html and <submission>/results.json.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { mapWithConcurrency } from '../harness/concurrency.ts'
import { kataFromFolder } from '../harness/katas.ts'
import { katasDir, solutionsDir, stubsDir } from '../harness/paths.ts'
import { parseTestDescriptions, readLesson } from '../harness/reporting/lessons.ts'
import { calibrate, GraderError, type Calibration } from './calibration.ts'
import { gradeSubmission, type GradingContext, type SubmissionGrade } from './grade-submission.ts'
import { CLASS_FILES, writeClassFiles, writeSubmission } from './outputs/write.ts'
import { GradingProgress, type ProgressStream } from './progress.ts'
import { sumPoints } from './manifest.ts'
import type { Runner } from './run-request.ts'
import { requiredExportsOf } from './static-checks.ts'
import { listSubmissions, shardOf, type Submission } from './submissions.ts'

export interface GradeOptions {
  submissionsDir: string
  outDir: string
  testsRoot: string
  runner: Runner
  timeoutSeconds: number
  memoryMiB: number
  concurrency: number
  shard?: { index: number; count: number }
  /** Where progress goes; stderr unless a test says otherwise. */
  progressStream?: ProgressStream
}

export interface GradeResult {
  calibration: Calibration
  grades: SubmissionGrade[]
  /** Where the time went, in milliseconds. */
  timings: { calibration: number; grading: number; writing: number }
}

export async function gradeAll(options: GradeOptions): Promise<GradeResult> {
  const submissions = shardOf(await listSubmissions(options.submissionsDir), options.shard)
  const clash = submissions.find((submission) => CLASS_FILES.includes(submission.name))
  if (clash) throw new GraderError(`a submission folder is named "${clash.name}", like one of the grader's own output files; rename it`)

  const started = performance.now()
  const context = await calibratedContext(options)
  const { calibration } = context
  const calibrated = performance.now()
  const progress = new GradingProgress(submissions.length, options.progressStream)
  const isolation = [options.runner.description]
  const gradedSoFar: SubmissionGrade[] = []
  let classFiles = writeClassFiles(options.outDir, isolation, calibration, gradedSoFar)
  const grades = await mapWithConcurrency(submissions, options.concurrency, async (submission) => {
    progress.begin()
    const grade = await gradeSubmission(submission, context).catch((error: Error) => ungradable(submission, calibration, error))
    await writeSubmission(options.outDir, grade)
    gradedSoFar.push(grade)
    // One write at a time, each of everyone graded so far: valid outputs whenever the grader stops.
    // Progress says "graded" once the class files hold this submission.
    const snapshot = [...gradedSoFar]
    classFiles = classFiles.then(() => writeClassFiles(options.outDir, isolation, calibration, snapshot))
    await classFiles
    progress.end(grade)
    return grade
  })
  progress.done()
  const graded = performance.now()
  await classFiles
  const timings = { calibration: calibrated - started, grading: graded - calibrated, writing: performance.now() - graded }
  return { calibration, grades, timings }
}

/** Calibrates against the reference solutions (calibration.ts), and what grading each submission then needs. */
export async function calibratedContext(
  options: Pick<GradeOptions, 'runner' | 'testsRoot' | 'timeoutSeconds' | 'memoryMiB'> & { katas?: string[]; referenceDir?: string },
): Promise<GradingContext> {
  const timeoutMs = options.timeoutSeconds * 1000
  const calibration = await calibrate(options.runner, options.testsRoot, options.referenceDir ?? solutionsDir, timeoutMs, options.katas)
  const requiredExports = await requiredExportsOfKatas(calibration, options.testsRoot)
  const publicTests = options.testsRoot === katasDir ? undefined : await testsStudentsKnow(calibration)
  return { runner: options.runner, calibration, requiredExports, timeoutMs, memoryMiB: options.memoryMiB, publicTests }
}

/** The tests each kata's lesson, as students have it, describes (normalised names): every test but an instructor's own. */
async function testsStudentsKnow(calibration: Calibration): Promise<Map<string, Set<string>>> {
  const known = new Map<string, Set<string>>()
  for (const { kata: folder } of calibration.katas) {
    const lesson = await readLesson(katasDir, kataFromFolder(folder)!)
    known.set(folder, new Set(parseTestDescriptions(lesson).keys()))
  }
  return known
}

/** What each kata's stub exports (from the tests folder, or the shipped stubs when --tests has none): every submission must too. */
async function requiredExportsOfKatas(calibration: Calibration, testsRoot: string): Promise<Map<string, string[]>> {
  const required = new Map<string, string[]>()
  for (const { kata: folder } of calibration.katas) {
    const kata = kataFromFolder(folder)!
    const stub = await readFile(join(testsRoot, folder, kata.implementationFile), 'utf8')
      .catch(() => readFile(join(stubsDir, folder, kata.implementationFile), 'utf8'))
      .catch(() => '')
    required.set(folder, requiredExportsOf(stub))
  }
  return required
}

/** A submission the grader itself failed on still gets its row, every kata at 0 with the reason. */
function ungradable(submission: Submission, calibration: Calibration, error: Error): SubmissionGrade {
  const reason = `the grader failed on this submission: ${error.message}`
  const katas = calibration.katas.map(({ kata, maxPoints, tests }) => ({
    kata,
    maxPoints,
    points: 0,
    problem: { kind: 'grader-error' as const, reason },
    tests: tests.map((test) => ({ name: test.name, maxPoints: test.maxPoints, points: 0, passed: false, output: reason })),
  }))
  const maxPoints = sumPoints(calibration.katas.map((kata) => kata.maxPoints))
  return { submission: submission.name, points: 0, maxPoints, executionSeconds: 0, katas }
}
