/**
 * What each fixture submission must score, kata by kata, and the check that every output format
 * (grades.csv, results.json, junit.xml, report.html) says exactly that. Shared by the end-to-end
 * tests of both isolation modes.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import type { CalibratedKata, Calibration } from './calibration.ts'
import type { ProblemKind } from './grade-submission.ts'
import { htmlEscape } from './outputs/html-report.ts'
import { xmlEscape } from './outputs/junit.ts'
import { sumPoints } from './manifest.ts'

/** Full marks; nothing but the tests whose names contain these texts fail; or a problem that zeroes the kata. */
type KataExpectation = 'full' | { failing: string[]; outputContains?: string } | { problem: ProblemKind; reasonContains: string }

const full = 'full' as const
const missing = { problem: 'missing', reasonContains: 'missing (looked for' } as const
const everyTestFails = (outputContains: string) => ({ failing: [''], outputContains })

const EXPECTED: Record<string, Record<string, KataExpectation>> = {
  'all-correct': {},
  empty: { '*': missing },
  partial: {
    '01-bind': full,
    // A failing test's output is the learner's explanation, the lesson's description of the test included.
    '02-port-zero': { failing: ['the OS chose the port', "leaves no 'error' listener"], outputContains: 'What this test checks (katas/02-port-zero/README.md): ' },
    '03-backlog': everyTestFails('Not implemented yet'),
    '*': missing, // it has the first three katas only, and 03's stub
  },
  'syntax-error': { '01-bind': { problem: 'compile-error', reasonContains: "does not compile: bind.ts:2:49 ',' expected." } },
  'infinite-loop': { '01-bind': everyTestFails('bind() never returned: your code kept the CPU busy') },
  'process-exit': { '04-accept': everyTestFails('does your code call process.exit()?') },
  'memory-hog': { '05-refused': everyTestFails('tryConnect() never returned') },
  'prints-50-MB': {},
  'replaced-tests-and-config': { '*': everyTestFails('Not implemented yet') },
  'imports-vitest': { '01-bind': { problem: 'forbidden-import', reasonContains: 'imports the test framework (vitest)' } },
  "Zoë O'Brien (late), #2": {},
  'nested-repo': {
    '04-accept': {
      failing: ['leaves the server listening', 'two clients give two sockets', 'the kernel shows one ESTAB', 'leaves no listener behind', 'a failed accept while it waits'],
    },
  },
  'spawns-children': { '02-port-zero': everyTestFails('is it blocked in a synchronous call') },
  'forges-results': { '01-bind': everyTestFails('no server') },
  'reaches-the-framework': { '*': everyTestFails('Not implemented yet') },
  'copies-the-reference': { '01-bind': everyTestFails('reached nothing') },
  'reads-classmates': { '02-port-zero': everyTestFails('reached nothing') },
  'plants-a-backdoor': { '03-backlog': everyTestFails('reached nothing') },
  'links-to-the-reference': {
    '01-bind': { problem: 'unreadable', reasonContains: '01-bind is a symbolic link (the grader never follows links)' },
    '02-port-zero': { problem: 'unreadable', reasonContains: '02-port-zero/port-zero.ts is a symbolic link (the grader never follows links)' },
  },
  'links-to-a-classmate': { '*': { problem: 'unreadable', reasonContains: 'katas is a symbolic link (the grader never follows links)' } },
  'a-link-to-a-classmate': { '*': { problem: 'unreadable', reasonContains: 'the submission folder is a symbolic link' } },
  'helps-a-later-kata': { '01-bind': full, '*': everyTestFails('Not implemented yet') },
}

function expectationFor(submission: string, kata: string): KataExpectation {
  const expected = EXPECTED[submission]!
  return expected[kata] ?? expected['*'] ?? full
}

/** The points a kata must get under this calibration (which tests run here decides the shares). */
function expectedPoints(kata: CalibratedKata, expectation: KataExpectation): number {
  if (expectation === 'full') return kata.maxPoints
  if ('problem' in expectation) return 0
  const passing = kata.tests.filter((test) => !expectation.failing.some((text) => test.name.includes(text)))
  return sumPoints(passing.map((test) => test.maxPoints))
}

/** Checks every output format in `outDir` against EXPECTED, for every fixture submission. */
export async function expectOutputsToMatch(outDir: string, calibration: Calibration): Promise<void> {
  const csv = parseCsv(await readFile(join(outDir, 'grades.csv'), 'utf8'))
  const junit = await readFile(join(outDir, 'junit.xml'), 'utf8')
  const html = await readFile(join(outDir, 'report.html'), 'utf8')
  expect(csv[0]).toEqual(['submission', ...calibration.katas.map((kata) => kata.kata), 'total', 'status'])
  expect(csv.slice(1).map((row) => row[0]), 'every submission has its row in grades.csv').toEqual(Object.keys(EXPECTED).sort(byCodeUnit))

  for (const submission of Object.keys(EXPECTED)) {
    const row = csv.find((cells) => cells[0] === submission)!
    const results = JSON.parse(await readFile(join(outDir, submission, 'results.json'), 'utf8')) as GradescopeResults
    const expectedTotal = sumPoints(calibration.katas.map((kata) => expectedPoints(kata, expectationFor(submission, kata.kata))))

    calibration.katas.forEach((kata, k) => {
      const expectation = expectationFor(submission, kata.kata)
      const where = `${submission} › ${kata.kata}`
      const tests = results.tests.filter((test) => test.name.startsWith(`${kata.kata} › `))
      const whyNot = tests.filter((test) => test.status !== 'passed').map((test) => `\n  ${test.name}: ${test.output.slice(0, 2000)}`)
      expect(Number(row[k + 1]), `${where}: points in grades.csv${whyNot.join('')}\n`).toBe(expectedPoints(kata, expectation))
      expect(sumPoints(tests.map((test) => test.score)), `${where}: points in results.json`).toBe(expectedPoints(kata, expectation))
      if (typeof expectation === 'object' && 'problem' in expectation) {
        const status = row.at(-1)!.split('; ').find((part) => part.startsWith(`${kata.kata}: `))
        expect(status, `${where}: the status column names the reason`).toContain(expectation.reasonContains)
        for (const test of tests) expect(test.output, `${where}: each test says why`).toContain(expectation.reasonContains)
        expect(junit, `${where}: junit.xml has the error`).toContain(`<error type="${expectation.problem}"`)
      }
      if (typeof expectation === 'object' && 'failing' in expectation && expectation.outputContains) {
        const failed = tests.filter((test) => test.status === 'failed')
        expect(failed.length, `${where}: failing tests`).toBeGreaterThan(0)
        for (const test of failed) expect(test.output, `${where}: each failure says why`).toContain(expectation.outputContains)
      }
    })
    expect(Number(row.at(-2)), `${submission}: total in grades.csv`).toBe(expectedTotal)
    expect(results.score, `${submission}: score in results.json`).toBe(expectedTotal)
    expect(junit, `${submission}: score in junit.xml`).toContain(
      `<testsuite name="${xmlEscape(submission)}"`,
    )
    expect(suiteScore(junit, submission), `${submission}: score property in junit.xml`).toBe(expectedTotal)
    expect(html, `${submission}: row in report.html`).toContain(`${htmlEscape(submission)}</a></td>`)
    expect(html, `${submission}: total in report.html`).toContain(`${htmlEscape(submission)}: ${expectedTotal} / `)
    expect(Buffer.byteLength(JSON.stringify(results)), `${submission}: results.json stays well under 1 MB`).toBeLessThan(200_000)
  }
}

interface GradescopeResults {
  score: number
  tests: { name: string; score: number; status: string; output: string }[]
}

function suiteScore(junit: string, submission: string): number {
  const start = junit.indexOf(`<testsuite name="${xmlEscape(submission)}"`)
  return Number(/<property name="score" value="([^"]+)"\/>/.exec(junit.slice(start))?.[1])
}

/** A reader for the RFC 4180 our grades.csv writes (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (char === '"') quoted = false
      else field += char
    } else if (char === '"') quoted = true
    else if (char === ',') row.push(field), (field = '')
    else if (char === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++
    else field += char
  }
  return rows
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
