import net from 'node:net'
import { expect, test } from 'vitest'
import { recordListenCalls, requestOf } from './listen-calls.ts'

test.each([
  [[0, '127.0.0.1'], { requestedPort: 0, requestedHost: '127.0.0.1' }],
  [[8080, '::1', 5, () => {}], { requestedPort: 8080, requestedHost: '::1' }],
  [['8080'], { requestedPort: 8080, requestedHost: undefined }],
  [[{ port: 4000, host: '0.0.0.0', backlog: 3 }], { requestedPort: 4000, requestedHost: '0.0.0.0' }],
  [[{ host: '127.0.0.1' }, () => {}], { requestedPort: 0, requestedHost: '127.0.0.1' }],
  [[() => {}], { requestedPort: 0, requestedHost: undefined }],
  [[], { requestedPort: 0, requestedHost: undefined }],
])('requestOf(%j)', (args, expected) => {
  expect(requestOf(args)).toEqual(expected)
})

test('recordListenCalls sees every listen() during the call, then puts listen() back', async () => {
  const original = net.Server.prototype.listen
  const server = net.createServer()
  const { calls } = await recordListenCalls(
    () => new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve)),
  )
  server.close()
  expect(calls).toEqual([{ server, requestedPort: 0, requestedHost: '127.0.0.1' }])
  expect(net.Server.prototype.listen).toBe(original)
})
