import net from 'node:net'
import { afterEach, expect, test } from 'vitest'
import { closeAfterTest, closeEverythingOwned } from './lifecycle/cleanup.ts'
import { listenerWithFullAcceptQueue } from './sockets/frozen-listener.ts'
import { procNetUnavailable } from './kernel/proc-net.ts'
import { ssUnavailable } from './kernel/ss.ts'
import { connectWhileEventLoopStopped } from './stopped-event-loop.ts'
import { nextEvent } from './lifecycle/within.ts'

afterEach(closeEverythingOwned)

const linuxWithSs = !procNetUnavailable() && !ssUnavailable()

test.runIf(linuxWithSs)('with the event loop stopped, a backlog-3 listener completes 4 handshakes and the rest wait', async () => {
  const server = closeAfterTest(net.createServer())
  server.listen({ port: 0, host: '127.0.0.1', backlog: 3 })
  await nextEvent(server, 'listening', 1000, 'not listening')
  const { port } = server.address() as net.AddressInfo
  expect(connectWhileEventLoopStopped('127.0.0.1', port, 6)).toEqual({ completed: 4, waiting: 2, queued: 4, backlog: 3 })
})

test('a connection to the frozen listener neither succeeds nor fails: it waits', async () => {
  const { port } = await listenerWithFullAcceptQueue('127.0.0.1')
  const client = closeAfterTest(net.connect(port, '127.0.0.1'))
  await expect(nextEvent(client, 'connect', 300, 'no answer')).rejects.toThrow('no answer within 300 ms')
})
