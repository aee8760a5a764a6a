import { describe, expect, test } from 'vitest'
import { failureExplained, formatKataReport } from './kata-report.ts'
import { kataFromFolder } from '../katas.ts'
import { normaliseTestName } from './lessons.ts'
import type { KataRun, TestOutcome } from './progress.ts'

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
    '        connecting to 127.0.0.2:4000 should be refused; it connected',
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
  const explainedInFull = plain(formatKataReport(run, context)).split('\n').slice(6)
  expect(
    plain(failureExplained(run.tests[1]!, context)).split('\n'),
    "the grader's words for a platform: the learner's explanation, without its heading or margin",
  ).toEqual(explainedInFull.map((line) => line.replace(/^ {1,4}/, '')))
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
  expect(text).toContain('    ✔ resolves with a server\n      │ listening!\n    ✘ rejects\n        nope\n      │ line 1\n')
  expect(text).toContain('      │ line 12\n      │ … 3 more lines')
  const done: KataRun = { kata, tests: [{ name: 'resolves with a server', state: 'passed', printed: 'listening!\n' }] }
  expect(plain(formatKataReport(done, context))).toBe(
    '✔ 01-bind  all 1 tests pass\n    your code printed, in "resolves with a server":\n      │ listening!',
  )
})

describe('every failing test, and the one explained in full', () => {
  const failing = (name: string, summary: string, more?: string): TestOutcome => ({
    name,
    state: 'failed',
    message: summary,
    failure: { summary },
    ...(more ? { moreFailures: [{ summary: more }] } : {}),
  })
  const run: KataRun = {
    kata,
    tests: [
      failing('a port already in use rejects with EADDRINUSE', 'EADDRINUSE went unhandled in your code\nGive every socket an error listener', 'bind() never settled within 2 s'),
      { name: 'resolves with a server', state: 'passed' },
      failing('an address this host does not have rejects with EADDRNOTAVAIL', 'it resolved; it should have rejected with EADDRNOTAVAIL'),
    ],
  }

  test('each failing test shows the first line of its reason under its name', () => {
    const lines = plain(formatKataReport(run, context)).split('\n')
    expect(lines.slice(0, 6)).toEqual([
      '◐ 01-bind  1 of 3 tests pass',
      '    ✘ a port already in use rejects with EADDRINUSE',
      '        EADDRINUSE went unhandled in your code',
      '    ✔ resolves with a server',
      '    ✘ an address this host does not have rejects with EADDRNOTAVAIL',
      '        it resolved; it should have rejected with EADDRNOTAVAIL',
    ])
  })

  test("the full explanation shows every error the test met, the test's own words first", () => {
    const text = plain(formatKataReport(run, context))
    expect(text).toContain(
      [
        '  First failure: a port already in use rejects with EADDRINUSE',
        '    EADDRINUSE went unhandled in your code',
        '    Give every socket an error listener',
        '    EADDRINUSE: another socket already listens',
      ].join('\n'),
    )
    expect(text).toMatch(/ {2}This test also failed with:\n {4}bind\(\) never settled within 2 s$/)
  })

  test('compact, the passing tests are one line that counts them, and each failing test one line', () => {
    const lines = plain(formatKataReport(run, { ...context, compact: true })).split('\n')
    expect(lines.slice(0, 5)).toEqual([
      '◐ 01-bind  1 of 3 tests pass',
      '    ✔ 1 passing test',
      '    ✘ a port already in use rejects with EADDRINUSE',
      '    ✘ an address this host does not have rejects with EADDRNOTAVAIL',
      '',
    ])
  })

  test('tight, the failing tests are counted too, and the explanation keeps its room', () => {
    const lines = plain(formatKataReport(run, { ...context, tight: true })).split('\n')
    expect(lines.slice(0, 5)).toEqual([
      '◐ 01-bind  1 of 3 tests pass',
      '    ✔ 1 passing test',
      '    ✘ 2 failing tests (n explains the next)',
      '',
      '  First failure: a port already in use rejects with EADDRINUSE',
    ])
  })

  test('failureIndex picks the failure explained in full, cycling', () => {
    const second = plain(formatKataReport(run, { ...context, failureIndex: 1 }))
    expect(second).toContain('  Failure 2 of 2: an address this host does not have rejects with EADDRNOTAVAIL\n    it resolved;')
    expect(second).not.toContain('First failure')
    expect(plain(formatKataReport(run, { ...context, failureIndex: 2 }))).toContain('  First failure: a port already in use')
  })

  test('at a width, lines wrap at word boundaries and reasons are cut to one line', () => {
    const lines = plain(formatKataReport(run, { ...context, width: 40 })).split('\n')
    expect(lines.every((line) => line.length <= 40)).toBe(true)
    expect(lines.slice(1, 4)).toEqual(['    ✘ a port already in use rejects with', '      EADDRINUSE', '        EADDRINUSE went unhandled in…'])
    expect(lines.filter((line) => line.includes('…'))).toHaveLength(2) // the two reasons, not the wrapped explanation
  })
})

test("a file that does not compile shows the compiler's code frame down to its marker line", () => {
  const reason = [
    'accept.ts does not compile: Expected "," or ")" but found Identifier (line 25)',
    '  ╭─[ katas/04-accept/accept.ts:25:30 ]',
    '23 │     }',
    '24 │     server.once("error", onError)',
    '25 │     server.once("connection" onConnection)',
    '   ·                              ──────┬─────',
    '   ·                                    ╰── `,` or `)` expected',
    '   ╰────',
    'and more after it',
  ].join('\n')
  const text = plain(formatKataReport({ kata, tests: [], loadError: reason }, context))
  expect(text).toMatch(/connection" onConnection\)\n {4} {3}· +──────┬─────\n {4} {3}· +╰── `,` or `\)` expected\n {4} {3}╰────$/)
})
