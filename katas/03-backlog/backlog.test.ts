import net from 'node:net'
import { describe, expect, test } from 'vitest'
import { listenWithBacklog } from './backlog.ts'
import { listeningState } from '#harness/sockets/addresses.ts'
import { closeAfterTest } from '#harness/lifecycle/cleanup.ts'
import { requireSs } from '#harness/lifecycle/requirements.ts'
import { listenersOnPort, somaxconn } from '#harness/kernel/ss.ts'
import { connectWhileEventLoopStopped } from '#harness/stopped-event-loop.ts'
import { until, within } from '#harness/lifecycle/within.ts'

const LISTEN_MS = 2000
const ACCEPT_MS = 2000
/** A dropped SYN is sent again about 1 s later (Linux retries every second at first, then backs off). */
const SYN_RETRY_MS = 4000

/** listenWithBacklog(host, backlog), bounded; the server and what it accepts are closed after the test. */
async function serverWithBacklog(host: string, backlog: number): Promise<net.Server & { port: number }> {
  const server = await within(LISTEN_MS, `listenWithBacklog('${host}', ${backlog}) never settled`, listenWithBacklog(host, backlog))
  if (server) closeAfterTest(server)
  expect(server, 'listenWithBacklog() should resolve with the net.Server it started').toBeInstanceOf(net.Server)
  expect(server.listening, `listenWithBacklog() resolved with a server that is ${listeningState(server)}`).toBe(true)
  return Object.assign(server, { port: (server.address() as net.AddressInfo).port })
}

/** The usual mix-up, named where it applies. */
function hintsFor(server: net.Server): string {
  return Number.isFinite(server.maxConnections) && server.maxConnections > 0
    ? ` (server.maxConnections is ${server.maxConnections}: it limits connections after they are accepted; the accept queue is listen()'s backlog)`
    : ''
}

describe('listenWithBacklog(host, backlog)', () => {
  test('resolves with a server listening on the host asked for', async () => {
    const server = await serverWithBacklog('127.0.0.1', 5)
    expect(listeningState(server), 'the server should listen on the host it was given').toBe(
      `listening on 127.0.0.1:${server.port}`,
    )
  })

  test.for([1, 8, 100])('the kernel applies a backlog of %i, as ss shows it (Send-Q)', async (backlog, context) => {
    requireSs(context)
    const expected = Math.min(backlog, somaxconn() ?? backlog)
    const server = await serverWithBacklog('127.0.0.1', backlog)
    const [listener] = listenersOnPort(server.port)
    const applied = listener?.backlog
    expect(
      applied,
      `ss -ltn shows a backlog of ${applied} for 127.0.0.1:${server.port}, but the test asked for ${backlog}` +
        (applied === 511 ? ' (511 is what Node uses when listen() is given no backlog)' : '') +
        hintsFor(server),
    ).toBe(expected)
  })

  test.for([2, 5])(
    'with its event loop stopped, a server with backlog %i lets exactly backlog + 1 clients complete the handshake',
    async (backlog, context) => {
      requireSs(context)
      const server = await serverWithBacklog('127.0.0.1', backlog)
      const accepted: net.Socket[] = []
      server.on('connection', (socket) => accepted.push(socket))

      const seen = connectWhileEventLoopStopped('127.0.0.1', server.port, backlog + 3)
      expect(
        { completed: seen.completed, waiting: seen.waiting },
        `${backlog + 3} clients connected while the server could not accept: the kernel completed ${seen.completed} ` +
          `handshakes and left ${seen.waiting} clients waiting in SYN-SENT; a backlog of ${backlog} queues exactly ` +
          `${backlog + 1}${hintsFor(server)}`,
      ).toEqual({ completed: backlog + 1, waiting: 2 })

      await until(ACCEPT_MS, `once its event loop ran again, the server never accepted the ${backlog + 1} queued connections`, () =>
        accepted.length >= backlog + 1,
      )
    },
  )

  test('a client that had to wait gets in once the server accepts again, when its SYN is retried', async (context) => {
    requireSs(context)
    const server = await serverWithBacklog('127.0.0.1', 1)
    const accepted: net.Socket[] = []
    server.on('connection', (socket) => accepted.push(socket))

    const seen = connectWhileEventLoopStopped('127.0.0.1', server.port, 3)
    expect(seen.waiting, `with backlog 1 and the server not accepting, the third client should wait in SYN-SENT${hintsFor(server)}`)
      .toBe(1)
    await until(SYN_RETRY_MS, 'the client that waited in SYN-SENT was never accepted after the server resumed', () =>
      accepted.length === 3,
    )
  })
})
