import { expect, test } from 'vitest'
import { parseListeners } from './ss.ts'

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
