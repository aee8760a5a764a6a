/**
 * junit.xml: one <testsuite> per submission, for CI systems and LMS plug-ins. JUnit has no points,
 * so each suite carries score and max_score as properties; a kata that could not run is an <error>.
 */
import type { SubmissionGrade } from '../grade-submission.ts'

/** Escapes for XML text and attributes, dropping the control characters XML 1.0 forbids. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
}

export function junitXml(grades: SubmissionGrade[]): string {
  const totals = grades.map(countsOf).reduce((a, b) => ({ tests: a.tests + b.tests, failures: a.failures + b.failures, errors: a.errors + b.errors }), { tests: 0, failures: 0, errors: 0 })
  const time = grades.reduce((sum, grade) => sum + grade.executionSeconds, 0).toFixed(1)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="socket-katas" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" time="${time}">`,
    ...grades.map(testsuite),
    '</testsuites>',
    '',
  ].join('\n')
}

/** Tests, failures (a test that ran and failed) and errors (a test of a kata that could not run). */
function countsOf(grade: SubmissionGrade): { tests: number; failures: number; errors: number } {
  const tests = grade.katas.flatMap((kata) => kata.tests.map((test) => ({ failed: !test.passed, problem: kata.problem !== undefined })))
  return {
    tests: tests.length,
    failures: tests.filter((t) => t.failed && !t.problem).length,
    errors: tests.filter((t) => t.problem).length,
  }
}

function testsuite(grade: SubmissionGrade): string {
  const { tests, failures, errors } = countsOf(grade)
  const cases = grade.katas.flatMap((kata) =>
    kata.tests.map((test) => {
      const open = `    <testcase classname="${xmlEscape(`${grade.submission}.${kata.kata}`)}" name="${xmlEscape(test.name)}" time="0">`
      if (test.passed) return `${open}</testcase>`
      const element = kata.problem
        ? `<error type="${kata.problem.kind}" message="${xmlEscape(kata.problem.reason)}">${xmlEscape(test.output)}</error>`
        : `<failure message="${xmlEscape(test.output.split('\n')[0] ?? '')}">${xmlEscape(test.output)}</failure>`
      return `${open}\n      ${element}\n    </testcase>`
    }),
  )
  return [
    `  <testsuite name="${xmlEscape(grade.submission)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="0" time="${grade.executionSeconds.toFixed(1)}">`,
    '    <properties>',
    `      <property name="score" value="${grade.points}"/>`,
    `      <property name="max_score" value="${grade.maxPoints}"/>`,
    '    </properties>',
    ...cases,
    '  </testsuite>',
  ].join('\n')
}
