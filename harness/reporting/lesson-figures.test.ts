import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { lintLesson, quotedFigures, testFiguresOf } from './lesson-figures.ts'

// Review E2's case: the tests wait timeoutMs * 3 with timeoutMs = 30, and bound giving up by 100 + ANSWER_MS.
const project = mkdtempSync(join(tmpdir(), 'lesson-figures-'))
afterAll(() => rmSync(project, { recursive: true, force: true }))
const files: Record<string, string> = {
  'harness/bounds.ts': `
    export const ANSWER_MS = 2_000
    /** Settles like promise, or rejects after ms. */
    export function within<T>(promise: Promise<T>, ms = ANSWER_MS): Promise<T> { return promise }
    export function waitABit(): Promise<void> { return new Promise((resolve) => setTimeout(resolve, 3 * 5)) }
    export function inSeconds(ms: number): number { return ms / 1000 }`,
  'harness/bounds.test.ts': `const NOT_A_TEST_FIGURE = 777`,
  '05-refused/refused.test.ts': `
    import { ANSWER_MS as ANSWER, waitABit, within } from '../harness/bounds.ts'
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    test('the socket it connected stays open after timeoutMs has passed', async () => {
      const timeoutMs = 30
      await within(sleep(timeoutMs * 3))
    })
    test('a peer that never answers: ETIMEDOUT', async () => {
      await waitABit()
      inSeconds(3)
      await within(sleep(0), 100 + ANSWER)
      expect(Math.max(1, -(2 / 4))).toBe(1)
    })`,
}
for (const [path, source] of Object.entries(files)) {
  mkdirSync(join(project, path, '..'), { recursive: true })
  writeFileSync(join(project, path), source)
}
const testFile = join(project, '05-refused', 'refused.test.ts')
const figures = testFiguresOf([testFile], { harnessDir: join(project, 'harness') }).get(testFile)!

function lesson(whatTheTestsCheck: string): string {
  return `# Kata 05\n\nIntro, 400 ms outside the section.\n\n## What the tests check\n\n${whatTheTestsCheck}\n\n## Hints\n\n3 KiB\n`
}

const violations = (whatTheTestsCheck: string) => lintLesson('README.md', lesson(whatTheTestsCheck), figures).map(({ line, figure }) => `${line}: ${figure}`)

test("every figure the test file uses: literals, consts (imported and renamed too), arithmetic, Math; what the harness sets", () => {
  // Not 1000: the harness's ms / 1000 is no figure it sets; 777 is in a harness test, not the harness.
  expect([...figures.all].sort((a, b) => a - b)).toEqual([-0.5, 0, 0.5, 1, 2, 3, 4, 15, 30, 90, 100, 2000, 2100])
  expect(figures.tests.get('the socket it connected stays open after timeoutms has passed')!.own).toEqual([3, 30, 90])
})

test("review E2's figures fail, each named with its line and what the test uses nearby", () => {
  const text = [
    '- **the socket it connected stays open after timeoutMs has passed**: `timeoutMs` 50; 150 ms after',
    '  connecting the socket must still be open.',
    '- **a peer that never answers: ETIMEDOUT**: `timeoutMs` 100, giving up within 2.2 s.',
  ].join('\n')
  expect(violations(text)).toEqual(['7: `timeoutMs` 50', '7: 150 ms', '9: 2.2 s'])
  expect(lintLesson('README.md', lesson(text), figures)[0]!.nearby).toEqual([3, 30, 90])
})

test("the test's own figures pass, the harness's default and constants included", () => {
  const text = [
    'Every call has 2 s (2000 ms, 2 seconds), or `within()` gives up.',
    '',
    '- **the socket it connected stays open after timeoutMs has passed**: `timeoutMs` 30; 90 ms after',
    '  connecting the socket must still be open.',
    '- **a peer that never answers: ETIMEDOUT**: `timeoutMs` 100 (after a 15 ms nap), giving up within 2.1 s.',
  ].join('\n')
  expect(violations(text)).toEqual([])
})

test("a bullet's figures are its own test's: one of another test fails", () => {
  const text = [
    '- **the socket it connected stays open after timeoutMs has passed**: `timeoutMs` 100 (after a 15 ms nap).',
    '- **a peer that never answers: ETIMEDOUT**: `timeoutMs` 30.',
  ].join('\n')
  expect(violations(text)).toEqual(['7: `timeoutMs` 100', '7: 15 ms', '8: `timeoutMs` 30'])
})

test('a measurement passes in parentheses with "here" or "measured"; anywhere else, it is checked', () => {
  expect(violations('A refusal comes at once (1.1 ms median here, 15 ms at most).')).toEqual([])
  expect(violations('Loopback is quick (measured: 0.3 ms), and `timeoutMs` came out at 50 ms (50 ms here).')).toEqual(['7: 50 ms'])
  expect(violations('Within 250 ms (a refusal takes 1.1 ms here) of the call.')).toEqual(['7: 250 ms'])
})

test('figures in code, and outside the section, are not read', () => {
  expect(violations('It fails with `a 5 s timer set at refused.ts:11`:\n\n    never settled within 7 s\n\nThat is all.')).toEqual([])
})

test('the grammar: units, hyphens, decimals and named inputs', () => {
  const figuresOf = (text: string) => quotedFigures(lesson(text)).map(({ text, value }) => [text, value])
  expect(figuresOf('2.1 s, 3 seconds, 250ms, a 65507-byte payload, 0 bytes, 4 KiB, 1 MiB, backlog 5, `timeoutMs` 200.')).toEqual([
    ['2.1 s', 2100],
    ['3 seconds', 3000],
    ['250ms', 250],
    ['65507-byte', 65507],
    ['0 bytes', 0],
    ['4 KiB', 4096],
    ['1 MiB', 1048576],
    ['backlog 5', 5],
    ['`timeoutMs` 200', 200],
  ])
  expect(figuresOf('UTF-8 bytes, IPv4 s, 127.0.0.1 ms, `timeoutMs` 5 s, 3 sockets, 16-bit, N + 1 clients')).toEqual([['5 s', 5000]])
})
