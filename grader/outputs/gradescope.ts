/**
 * results.json in Gradescope's autograder format (https://gradescope-autograders.readthedocs.io/en/latest/specs/#output-format):
 * score, execution_time, output, visibility, stdout_visibility, and tests[] with name, number, score,
 * max_score, status, output, tags, visibility. Outputs are capped so the file stays far below 1 MB.
 */
import type { SubmissionGrade } from '../grade-submission.ts'
import { cap } from '../grade-submission.ts'
import { statusOf } from './csv.ts'

const SUMMARY_CAP = 8000

export type Visibility = 'hidden' | 'after_due_date' | 'after_published' | 'visible'

export interface GradescopeTest {
  name: string
  number: string
  /** Left out of an informational entry, which is only passed or failed. */
  score?: number
  max_score?: number
  status: 'passed' | 'failed'
  output: string
  tags: string[]
  visibility: Visibility
}

export interface GradescopeResults {
  score: number
  /** Whole seconds. */
  execution_time: number
  output: string
  visibility: Visibility
  /** The autograder's stdout is the grader's log, for the instructor: it may name what the students must not see. */
  stdout_visibility: Visibility
  tests: GradescopeTest[]
}

/** `executionSeconds`: the grading's wall time, when more than the submission's own (a platform's run calibrates first). */
export function gradescopeResults(grade: SubmissionGrade, executionSeconds = grade.executionSeconds): GradescopeResults {
  const status = statusOf(grade)
  return {
    score: grade.points,
    execution_time: wholeSeconds(executionSeconds),
    output: cap(`${grade.points} of ${grade.maxPoints} points.${status ? `\nCould not be graded: ${status}` : ''}`, SUMMARY_CAP),
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests: grade.katas.flatMap((kata, k) =>
      kata.tests.map((test, t) => ({
        name: `${kata.kata} › ${test.name}`,
        number: `${k + 1}.${t + 1}`,
        score: test.points,
        max_score: test.maxPoints,
        status: test.passed ? ('passed' as const) : ('failed' as const),
        output: test.output,
        tags: [kata.kata],
        visibility: 'visible' as const,
      })),
    ),
  }
}

/**
 * When the grader itself could not grade (the reference solutions fail in this container, say): a
 * valid results file that tells the student the autograder failed, not their code. The reason may
 * quote the reference solutions or an instructor's hidden tests, so it goes in an entry hidden from
 * students, which instructors see (the spec's "Controlling Test Case Visibility").
 */
export function autograderFailure(reason: string, executionSeconds: number): GradescopeResults {
  return {
    score: 0,
    execution_time: wholeSeconds(executionSeconds),
    output:
      'The autograder failed: it could not grade this submission, whatever the code in it does. This 0 is not a grade of ' +
      'your work: your instructor sees the reason and will grade it again.',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests: [{ name: 'Why the autograder failed (instructors only)', number: '0', status: 'failed', output: cap(reason, SUMMARY_CAP), tags: [], visibility: 'hidden' }],
  }
}

function wholeSeconds(seconds: number): number {
  return Math.max(1, Math.round(seconds))
}
