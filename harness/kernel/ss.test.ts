import { expect, test } from 'vitest'
import { parseListeners, parseSsDuration, parseTcpTimer } from './ss.ts'

test('parseListeners reads Recv-Q as waiting connections and Send-Q as the applied backlog', () => {
  const output = [
    'LISTEN 2      1          127.0.0.1:38459      0.0.0.0:*',
    'LISTEN 0      511                *:40349            *:*',
    'LISTEN 0      128            [::1]:8080          [::]:*',
    'LISTEN 0      4096   127.0.0.53%lo:53         0.0.0.0:*',
    'LISTEN 0      5     [::ffff:127.0.0.1]:9000        *:*',
  ].join('\n')
  expect(parseListeners(output)).toEqual([
    { localAddress: '127.0.0.1', localPort: 38459, waiting: 2, backlog: 1 },
    { localAddress: '::', localPort: 40349, waiting: 0, backlog: 511 },
    { localAddress: '::1', localPort: 8080, waiting: 0, backlog: 128 },
    { localAddress: '127.0.0.53', localPort: 53, waiting: 0, backlog: 4096 },
    { localAddress: '::ffff:127.0.0.1', localPort: 9000, waiting: 0, backlog: 5 },
  ])
})

test('parseListeners ignores lines that are not LISTEN sockets', () => {
  expect(parseListeners('ESTAB 0 0 127.0.0.1:1 127.0.0.1:2\n\n')).toEqual([])
})

test("parseSsDuration reads ss's timer durations in ms", () => {
  expect(['4.996ms', '500ms', '024ms', '7sec', '59sec', '1min5sec', '119min', '', '4.996'].map(parseSsDuration)).toEqual([
    4996,
    500,
    24,
    7000,
    59_000,
    65_000,
    7_140_000,
    0,
    undefined,
  ])
})

test('parseTcpTimer reads the timer of an ss -o row, and nothing from a row without one', () => {
  expect(parseTcpTimer('ESTAB 0 0 127.0.0.1:59974 127.0.0.1:35111 timer:(keepalive,4.996ms,0)')).toEqual({
    name: 'keepalive',
    remainingMs: 4996,
    count: 0,
    text: 'timer:(keepalive,4.996ms,0)',
  })
  expect(parseTcpTimer('ESTAB 0 0 127.0.0.1:33798 127.0.0.1:35615 timer:(keepalive,,2)')).toMatchObject({ remainingMs: 0, count: 2 })
  expect(parseTcpTimer('ESTAB 0 0 127.0.0.1:59986 127.0.0.1:35111')).toBeUndefined()
})
