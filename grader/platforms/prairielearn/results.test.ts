import { expect, test } from 'vitest'
import type { KataGrade, SubmissionGrade } from '../../grade-submission.ts'
import { prairielearnResults, RESULTS_BUDGET_BYTES } from './results.ts'

function gradeOf(kata: KataGrade): SubmissionGrade {
  return { submission: 'submission', points: kata.points, maxPoints: kata.maxPoints, executionSeconds: 3, katas: [kata] }
}

const partly: KataGrade = {
  kata: '01-bind',
  maxPoints: 10,
  points: 6.67,
  tests: [
    { name: 'a', maxPoints: 3.34, points: 3.34, passed: true, output: '' },
    { name: 'b', maxPoints: 3.33, points: 3.33, passed: true, output: '' },
    { name: 'c', maxPoints: 3.33, points: 0, passed: false, output: 'expected 127.0.0.1:80, got 0.0.0.0:80\nWhat this test checks: ...' },
  ],
}

test("a graded kata: the points' ratio as score, every test with points, max_points, its verdict and its own feedback unchanged", () => {
  expect(prairielearnResults(gradeOf(partly))).toEqual({
    gradable: true,
    score: 0.667,
    message: '6.67 of 10 points.',
    tests: [
      { name: 'a', points: 3.34, max_points: 3.34, message: 'passed', output: '' },
      { name: 'b', points: 3.33, max_points: 3.33, message: 'passed', output: '' },
      { name: 'c', points: 0, max_points: 3.33, message: 'failed', output: 'expected 127.0.0.1:80, got 0.0.0.0:80\nWhat this test checks: ...' },
    ],
  })
})

test("a kata the student's file broke is gradable, scores 0, and the message says why", () => {
  const reason = "does not compile: bind.ts:2:49 ',' expected."
  const broken: KataGrade = { ...partly, points: 0, problem: { kind: 'compile-error', reason }, tests: partly.tests.map((t) => ({ ...t, points: 0, passed: false, output: reason })) }
  expect(prairielearnResults(gradeOf(broken))).toMatchObject({ gradable: true, score: 0, message: `0 of 10 points.\n01-bind: ${reason}` })
})

test("with hidden tests, a kata that hung says so, and not which test was running", () => {
  const reason = 'timed out: no result within 60 s (during "an instructor\'s secret check"); an endless loop?'
  const hung: KataGrade = {
    ...partly,
    points: 0,
    problem: { kind: 'timed-out', reason },
    tests: [{ name: "an instructor's secret check", maxPoints: 10, points: 0, passed: false, output: 'failed', hidden: true }],
  }
  const results = prairielearnResults(gradeOf(hung))
  expect(results.message).toBe('0 of 10 points.\n01-bind: timed-out')
})

test('a kata the grader failed on is not gradable: no points given or taken, and the student is told it is not their fault', () => {
  const failed: KataGrade = { ...partly, points: 0, problem: { kind: 'grader-error', reason: 'the record had unsigned lines' }, tests: [] }
  const results = prairielearnResults(gradeOf(failed))
  expect(results).toEqual({ gradable: false, message: expect.stringContaining('through no fault of yours') })
  expect(results.message).toContain('01-bind: the record had unsigned lines')
  expect(results).not.toHaveProperty('score')
})

test("however much every test printed, results.json stays within its budget, far below PrairieLearn's 1 MB", () => {
  const loud: KataGrade = {
    ...partly,
    tests: Array.from({ length: 300 }, (_, i) => ({ name: `test ${i}`, maxPoints: 0.03, points: 0, passed: false, output: '\u001b[31m'.repeat(2000) })),
  }
  const text = JSON.stringify(prairielearnResults(gradeOf(loud)))
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(RESULTS_BUDGET_BYTES)
  expect(text).toContain('more characters cut')
})
