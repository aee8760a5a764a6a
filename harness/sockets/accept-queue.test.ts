import { spawn } from 'node:child_process'
import net from 'node:net'
import { afterAll, afterEach, expect, test } from 'vitest'
import { procNetUnavailable } from '../kernel/proc-net.ts'
import { ssUnavailable } from '../kernel/ss.ts'
import { closeAfterTest, closeEverythingOwned, closeEverythingOwnedByFile } from '../lifecycle/cleanup.ts'
import { nextEvent } from '../lifecycle/within.ts'
import { connectWhileFrozen, type Freezable } from './accept-queue.ts'
import { listenerWithFullAcceptQueue } from './frozen-listener.ts'

afterEach(closeEverythingOwned)
afterAll(closeEverythingOwnedByFile)

const linuxWithSs = !procNetUnavailable() && !ssUnavailable()

/** A listener with backlog 3 in a process of its own, which SIGSTOP can freeze. */
async function listenerProcess(): Promise<Freezable & { port: number }> {
  const script = "const s = require('net').createServer().listen({ host: '127.0.0.1', port: 0, backlog: 3 }, () => console.log(s.address().port))"
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  closeAfterTest(() => child.kill('SIGKILL'))
  const [line] = await nextEvent<[Buffer]>(child.stdout!, 'data', 5000, 'the listener process never started')
  return {
    port: Number(line.toString().trim()),
    freeze: async () => void child.kill('SIGSTOP'),
    thaw: async () => void child.kill('SIGCONT'),
  }
}

test.runIf(linuxWithSs)('with its process frozen, a backlog-3 listener completes 4 handshakes and the rest wait', async () => {
  const listener = await listenerProcess()
  closeAfterTest(() => listener.thaw())
  expect(await connectWhileFrozen(listener, '127.0.0.1', listener.port, 6)).toEqual({ completed: 4, waiting: 2, queued: 4, backlog: 3 })
})

test('a connection to the frozen listener neither succeeds nor fails: it waits', async () => {
  const { port } = await listenerWithFullAcceptQueue('127.0.0.1')
  const client = closeAfterTest(net.connect(port, '127.0.0.1'))
  await expect(nextEvent(client, 'connect', 300, 'no answer')).rejects.toThrow('no answer within 300 ms')
})
