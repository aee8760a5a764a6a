import { expect, test } from 'vitest'
import type { Calibration } from '../calibration.ts'
import type { SubmissionGrade } from '../grade-submission.ts'
import { csvField, gradesCsv } from './csv.ts'
import { gradescopeResults } from './gradescope.ts'
import { htmlEscape, htmlReport } from './html-report.ts'
import { junitXml, xmlEscape } from './junit.ts'

const calibration: Calibration = {
  katas: [
    { kata: '01-bind', maxPoints: 10, tests: [{ name: 'a', maxPoints: 5 }, { name: 'b', maxPoints: 5 }], skipped: [] },
    { kata: '02-port-zero', maxPoints: 10, tests: [{ name: 'c', maxPoints: 10 }], skipped: [{ name: 'd', note: 'no IPv6' }] },
  ],
}

const grade: SubmissionGrade = {
  submission: 'Zoë "Z" O\'Brien, late',
  points: 5,
  maxPoints: 20,
  executionSeconds: 2.4,
  katas: [
    {
      kata: '01-bind',
      maxPoints: 10,
      points: 5,
      tests: [
        { name: 'a', maxPoints: 5, points: 5, passed: true, output: '' },
        { name: 'b', maxPoints: 5, points: 0, passed: false, output: 'expected <1> & "2"\u0007' },
      ],
    },
    {
      kata: '02-port-zero',
      maxPoints: 10,
      points: 0,
      problem: { kind: 'missing', reason: 'missing (looked for 02-port-zero/port-zero.ts)' },
      tests: [{ name: 'c', maxPoints: 10, points: 0, passed: false, output: 'missing (looked for 02-port-zero/port-zero.ts)' }],
    },
  ],
}

test('csvField quotes what RFC 4180 says must be quoted', () => {
  expect([csvField('plain'), csvField('a,b'), csvField('say "hi"'), csvField('two\nlines'), csvField(7.5)]).toEqual([
    'plain',
    '"a,b"',
    '"say ""hi"""',
    '"two\nlines"',
    '7.5',
  ])
})

test('grades.csv has a column per kata, the total, and the status of what could not be graded', () => {
  expect(gradesCsv(calibration, [grade])).toBe(
    'submission,01-bind,02-port-zero,total,status\r\n' +
      '"Zoë ""Z"" O\'Brien, late",5,0,5,02-port-zero: missing (looked for 02-port-zero/port-zero.ts)\r\n',
  )
})

test("results.json follows Gradescope's format, and its test scores add up to its score", () => {
  const results = gradescopeResults(grade) as { score: number; tests: { score: number; max_score: number; status: string; name: string }[] }
  expect(results).toMatchObject({ score: 5, execution_time: 2 })
  expect(results.tests.map((t) => [t.name, t.score, t.max_score, t.status])).toEqual([
    ['01-bind › a', 5, 5, 'passed'],
    ['01-bind › b', 0, 5, 'failed'],
    ['02-port-zero › c', 0, 10, 'failed'],
  ])
  expect(results.tests.reduce((sum, t) => sum + t.score, 0)).toBe(results.score)
})

test('junit.xml escapes names and output, drops characters XML forbids, and marks a kata that could not run as an error', () => {
  expect(xmlEscape('a < b & "c"\u0007')).toBe('a &lt; b &amp; &quot;c&quot;')
  const xml = junitXml([grade])
  expect(xml).toContain('<testsuite name="Zoë &quot;Z&quot; O\'Brien, late" tests="3" failures="1" errors="1"')
  expect(xml).toContain('<property name="score" value="5"/>')
  expect(xml).toContain('<failure message="expected &lt;1&gt; &amp; &quot;2&quot;">')
  expect(xml).toContain('<error type="missing" message="missing (looked for 02-port-zero/port-zero.ts)">')
  expect(xml).not.toContain('\u0007')
})

test('report.html is one self-contained page: no scripts, nothing fetched, every name escaped', () => {
  const html = htmlReport(calibration, [grade], ['process'])
  expect(html).not.toMatch(/<script|<link|src=|@import|url\(/)
  expect(html).toContain(htmlEscape(grade.submission))
  expect(html).toContain('<td class="problem" title="missing (looked for 02-port-zero/port-zero.ts)">0 <small>(missing)</small></td>')
  expect(html).toContain('expected &lt;1&gt; &amp; &quot;2&quot;')
  expect(html).toContain('1 check this host cannot make was skipped for everyone')
})
