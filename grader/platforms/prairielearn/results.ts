/**
 * /grade/results/results.json in PrairieLearn's external grading format
 * (https://github.com/PrairieLearn/PrairieLearn/blob/master/docs/externalGrading.md, "Grading results"):
 * `gradable`, `score` in [0, 1], `message`, and `tests[]` with `name`, `points`, `max_points`,
 * `message` and `output`, as the <pl-external-grader-results> element renders them. Every test carries
 * both `points` and `max_points`: the element turns its per-test points display off for all tests
 * when any one lacks them. The file must stay under 1 MB, or PrairieLearn fails the job
 * (apps/grader-host/src/index.ts reads at most 1024 * 1024 bytes), so outputs are capped to a budget.
 */
import type { KataGrade, SubmissionGrade, TestGrade } from '../../grade-submission.ts'
import { cap } from '../../grade-submission.ts'

/** Far below PrairieLearn's 1 MB, and below the 250 KB it sends inline rather than through S3. */
export const RESULTS_BUDGET_BYTES = 200 * 1024
const FIRST_OUTPUT_CAP = 8000
const MESSAGE_CAP = 8000

export interface PrairieLearnTest {
  name: string
  points: number
  max_points: number
  message: string
  output: string
}

export type PrairieLearnResults =
  | { gradable: true; score: number; message: string; tests: PrairieLearnTest[] }
  | { gradable: false; message: string }

/**
 * The student's work, graded (not gradable only when the grader failed on a kata). A kata file that
 * does not compile, imports what it may not, hangs or crashes is the student's to fix: gradable, with
 * its points (0) and the reason. Per test, `message` is the verdict and `output` the test's own
 * feedback, unchanged: the teaching message `npm test` shows, or for an instructor's hidden test,
 * passed or failed alone.
 */
export function prairielearnResults(grade: SubmissionGrade): PrairieLearnResults {
  const graderFailure = grade.katas.find((kata) => kata.problem?.kind === 'grader-error')
  if (graderFailure) return notGradable(`${graderFailure.kata}: ${graderFailure.problem!.reason}`)
  const tests = grade.katas.flatMap((kata) => kata.tests)
  const problems = grade.katas.flatMap(problemLine)
  const message = cap([`${grade.points} of ${grade.maxPoints} points.`, ...problems].join('\n'), MESSAGE_CAP)
  const score = grade.maxPoints > 0 ? Math.min(1, Math.max(0, grade.points / grade.maxPoints)) : 0
  for (let outputCap = FIRST_OUTPUT_CAP; ; outputCap = Math.floor(outputCap / 2)) {
    const results: PrairieLearnResults = { gradable: true, score, message, tests: tests.map((test) => testResult(test, outputCap)) }
    if (Buffer.byteLength(JSON.stringify(results)) <= RESULTS_BUDGET_BYTES || outputCap === 0) return results
  }
}

/**
 * The grader could not grade this submission, through no fault of the student's (the reference
 * solutions failed here, the grader broke): PrairieLearn marks it "invalid, not gradable", awards and
 * takes no points, and does not count the attempt (docs/externalGrading.md, "Grading results").
 */
export function notGradable(reason: string): PrairieLearnResults {
  return { gradable: false, message: cap(`This submission could not be graded, through no fault of yours; please tell your instructor. The grader said: ${reason}`, MESSAGE_CAP) }
}

/**
 * Why a kata could not be graded normally. With hidden tests, the kind of problem alone: a timeout's or
 * a crash's reason names the test that was running, and a hidden test's name belongs in its title only.
 */
function problemLine(kata: KataGrade): string[] {
  if (!kata.problem) return []
  const hidden = kata.tests.some((test) => test.hidden)
  return [`${kata.kata}: ${hidden ? kata.problem.kind : kata.problem.reason}`]
}

function testResult(test: TestGrade, outputCap: number): PrairieLearnTest {
  return {
    name: test.name,
    points: test.points,
    max_points: test.maxPoints,
    message: test.passed ? 'passed' : 'failed',
    output: cap(test.output, outputCap),
  }
}
