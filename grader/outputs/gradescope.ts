/**
 * <submission>/results.json in Gradescope's autograder format (score, execution_time, tests[] with
 * name, score, max_score, status, output). Outputs are capped so the file stays far below 1 MB.
 */
import type { SubmissionGrade } from '../grade-submission.ts'
import { cap } from '../grade-submission.ts'
import { statusOf } from './csv.ts'

const SUMMARY_CAP = 8000

export function gradescopeResults(grade: SubmissionGrade): object {
  const status = statusOf(grade)
  return {
    score: grade.points,
    execution_time: Math.max(1, Math.round(grade.executionSeconds)),
    output: cap(`${grade.points} of ${grade.maxPoints} points.${status ? `\nCould not be graded: ${status}` : ''}`, SUMMARY_CAP),
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests: grade.katas.flatMap((kata, k) =>
      kata.tests.map((test, t) => ({
        name: `${kata.kata} › ${test.name}`,
        number: `${k + 1}.${t + 1}`,
        score: test.points,
        max_score: test.maxPoints,
        status: test.passed ? 'passed' : 'failed',
        output: test.output,
        tags: [kata.kata],
        visibility: 'visible',
      })),
    ),
  }
}
