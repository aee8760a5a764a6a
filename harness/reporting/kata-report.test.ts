import { expect, test } from 'vitest'
import { formatKataReport } from './kata-report.ts'
import { kataFromFolder } from '../katas.ts'
import { normaliseTestName } from './lessons.ts'
import type { KataRun } from './progress.ts'

const kata = kataFromFolder('01-bind')!
const plain = (text: string) => text.replace(/\x1b\[\d+m/g, '')
const context = {
  descriptions: new Map([
    [normaliseTestName('bound to 127.0.0.1, it refuses connections made to 127.0.0.2'), 'a client connects to 127.0.0.2:port and must be refused.'],
  ]),
  lessonPath: 'katas/01-bind/README.md',
}

test('a kata still at its stub is one friendly line: what to write, and where to read', () => {
  const stub = 'Error: Not implemented yet: write bind() in katas/01-bind/bind.ts (the lesson is katas/01-bind/README.md)'
  const run: KataRun = { kata, tests: [1, 2].map((n) => ({ name: `t${n}`, state: 'failed' as const, message: stub })) }
  expect(plain(formatKataReport(run, context))).toBe(
    '○ 01-bind  not started: write bind() in katas/01-bind/bind.ts (the lesson is katas/01-bind/README.md)',
  )
})

test('a kata in progress lists its tests, then explains its first failure in full', () => {
  const run: KataRun = {
    kata,
    tests: [
      { name: 'resolves with a server', state: 'passed' },
      {
        name: 'bound to 127.0.0.1, it refuses connections made to 127.0.0.2',
        state: 'failed',
        message: 'irrelevant',
        failure: {
          summary: 'connecting to 127.0.0.2:4000 should be refused; it connected',
          expected: "'ECONNREFUSED'",
          actual: "'connected'",
          location: 'katas/01-bind/bind.test.ts:52:7',
          kernelView: 'Proto  State   Queued  Local      Peer\ntcp    LISTEN  0       [::]:4000  *',
        },
      },
      { name: 'on ::1', state: 'skipped', skipNote: 'no IPv6 here' },
    ],
  }
  expect(plain(formatKataReport(run, context)).split('\n')).toEqual([
    '◐ 01-bind  1 of 2 tests pass  (1 skipped here: no IPv6 here)',
    '    ✔ resolves with a server',
    '    ✘ bound to 127.0.0.1, it refuses connections made to 127.0.0.2',
    '',
    '  First failure: bound to 127.0.0.1, it refuses connections made to 127.0.0.2',
    '    connecting to 127.0.0.2:4000 should be refused; it connected',
    "      expected: 'ECONNREFUSED'",
    "      got:      'connected'",
    '    ECONNREFUSED: nothing listens on that address and port, so the kernel answered the SYN with a reset (RST)',
    '    What this test checks (katas/01-bind/README.md): a client connects to 127.0.0.2:port and must be refused.',
    "    The kernel's sockets when it failed:",
    '      Proto  State   Queued  Local      Peer',
    '      tcp    LISTEN  0       [::]:4000  *',
    '    at katas/01-bind/bind.test.ts:52:7',
  ])
})

test('a finished kata is one line; a kata that could not load says why', () => {
  expect(plain(formatKataReport({ kata, tests: [{ name: 'a', state: 'passed' }] }, context))).toBe('✔ 01-bind  all 1 tests pass')
  expect(plain(formatKataReport({ kata, tests: [], loadError: 'SyntaxError: Unexpected token (3:12)' }, context))).toBe(
    '✘ 01-bind  could not run: SyntaxError: Unexpected token (3:12)',
  )
})

test("what the learner's code printed is shown under the test that ran it, capped", () => {
  const printed = Array.from({ length: 15 }, (_, i) => `line ${i + 1}`).join('\n')
  const inProgress: KataRun = {
    kata,
    tests: [
      { name: 'resolves with a server', state: 'passed', printed: 'listening!\n' },
      { name: 'rejects', state: 'failed', message: 'nope', failure: { summary: 'nope' }, printed },
    ],
  }
  const text = plain(formatKataReport(inProgress, context))
  expect(text).toContain('    ✔ resolves with a server\n      │ listening!\n    ✘ rejects\n      │ line 1\n')
  expect(text).toContain('      │ line 12\n      │ … 3 more lines')
  const done: KataRun = { kata, tests: [{ name: 'resolves with a server', state: 'passed', printed: 'listening!\n' }] }
  expect(plain(formatKataReport(done, context))).toBe(
    '✔ 01-bind  all 1 tests pass\n    your code printed, in "resolves with a server":\n      │ listening!',
  )
})
