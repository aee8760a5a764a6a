import { describe, expect, test } from 'vitest'
import { kataFromFolder, type Kata } from '../katas.ts'
import { formatProgress, kataState, NOT_IMPLEMENTED, type KataRun, type TestOutcome } from './progress.ts'

const kata = (folder: string): Kata => kataFromFolder(folder)!
const passed = (name = 't'): TestOutcome => ({ name, state: 'passed' })
const failed = (message: string): TestOutcome => ({ name: 't', state: 'failed', message })
const stubFailure = failed(`${NOT_IMPLEMENTED}: write bind() in katas/01-bind/bind.ts`)
const plain = (text: string) => text.replace(/\x1b\[\d+m/g, '')

describe('kataState', () => {
  test('done when every test that ran passed; skipped tests do not count against it', () => {
    const run: KataRun = { kata: kata('01-bind'), tests: [passed(), passed(), { name: 's', state: 'skipped', skipNote: 'not Linux' }] }
    expect(kataState(run)).toEqual({ kind: 'done', passing: 2, total: 2 })
  })

  test("not started while every test fails with the stub's error", () => {
    expect(kataState({ kata: kata('01-bind'), tests: [stubFailure, stubFailure] })).toEqual({ kind: 'not-started', total: 2 })
  })

  test('in progress once anything else happens', () => {
    expect(kataState({ kata: kata('01-bind'), tests: [stubFailure, failed('expected 0 to be 41234')] })).toEqual({
      kind: 'in-progress',
      passing: 0,
      total: 2,
    })
    expect(kataState({ kata: kata('01-bind'), tests: [passed(), stubFailure] })).toMatchObject({ kind: 'in-progress', passing: 1 })
  })

  test('cannot run here when every test skipped, with each reason once', () => {
    const skipped = (skipNote: string): TestOutcome => ({ name: 's', state: 'skipped', skipNote })
    const run: KataRun = { kata: kata('17-reuse-port'), tests: [skipped('old Node'), skipped('old Node'), skipped('no ss')] }
    expect(kataState(run)).toEqual({ kind: 'cannot-run-here', reason: 'old Node; no ss' })
  })

  test('broken when the test file could not load', () => {
    expect(kataState({ kata: kata('01-bind'), tests: [], loadError: 'SyntaxError: Unexpected token' })).toEqual({
      kind: 'broken',
      reason: 'SyntaxError: Unexpected token',
    })
  })
})

test('formatProgress prints a line per kata and points at the first kata not done', () => {
  const runs: KataRun[] = [
    { kata: kata('01-bind'), tests: [passed(), passed()] },
    { kata: kata('02-port-zero'), tests: [passed(), failed('port was 0')] },
    { kata: kata('03-backlog'), tests: [stubFailure] },
  ]
  const text = plain(formatProgress(runs, { implementationRoot: '/p/katas', testsRoot: '/p/katas', cwd: '/p', totalKatas: 3 }))
  expect(text.split('\n')).toEqual([
    'Progress (katas)',
    '  ✔ 01-bind       done 2/2',
    '  ◐ 02-port-zero  1/2 tests passing',
    '  ○ 03-backlog    not started',
    '',
    'Next: 02-port-zero: read katas/02-port-zero/README.md, then edit katas/02-port-zero/port-zero.ts  (npm test -- 02)',
  ])
})

test('formatProgress says when the run covered only some katas', () => {
  const runs: KataRun[] = [{ kata: kata('03-backlog'), tests: [passed()] }]
  const text = plain(formatProgress(runs, { implementationRoot: '/p/katas', testsRoot: '/p/katas', cwd: '/p', totalKatas: 6 }))
  expect(text.split('\n').slice(-2)).toEqual([
    'Every kata in this run passes.',
    '(this run had 1 of 6 katas; npm test runs them all)',
  ])
})

test('formatProgress: a kata this machine cannot run is neither next nor in the way of "every kata passes"', () => {
  const cannot: TestOutcome = { name: 's', state: 'skipped', skipNote: 'this Node (20.20.2) has no reusePort option' }
  const runs: KataRun[] = [
    { kata: kata('16-unix-sockets'), tests: [passed()] },
    { kata: kata('17-reuse-port'), tests: [cannot, cannot] },
  ]
  const text = plain(formatProgress(runs, { implementationRoot: '/p/katas', testsRoot: '/p/katas', cwd: '/p', totalKatas: 2 }))
  expect(text.split('\n')).toEqual([
    'Progress (katas)',
    '  ✔ 16-unix-sockets  done 1/1',
    '  – 17-reuse-port    cannot run here: this Node (20.20.2) has no reusePort option',
    '',
    'Every kata this machine can run passes (1 cannot run here: see above).',
  ])
})
