import { describe, expect, test } from 'vitest'
import { expectNoErrorListenerLeft } from '#harness/kata-process/left-behind.ts'
import { kataUnderTest } from '#harness/kata-process/kata-under-test.ts'
import { listeningStateOf, RemoteServer } from '#harness/kata-process/remote.ts'
import { listenersOnPort, somaxconn } from '#harness/kernel/ss.ts'
import { describeOutcome, outcome } from '#harness/lifecycle/outcome.ts'
import { requireAddress, requireForeignAddress, requireSs } from '#harness/lifecycle/requirements.ts'
import { DeadlineError, until, within } from '#harness/lifecycle/within.ts'
import { connectWhileFrozen } from '#harness/sockets/accept-queue.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { expectConnectable } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./backlog.ts')>(import.meta.url)
const { listenWithBacklog } = kata.exports

const LISTEN_MS = 2000
const ACCEPT_MS = 2000
/** A dropped SYN is sent again about 1 s later (Linux retries every second at first, then backs off). */
const SYN_RETRY_MS = 4000

type ListeningServer = RemoteServer & { readonly port: number }

/** listenWithBacklog(host, backlog), bounded; the server is the test's, closed after the test with what it accepted. */
async function serverWithBacklog(host: string, backlog: number): Promise<ListeningServer> {
  const server = await within(LISTEN_MS, `listenWithBacklog('${host}', ${backlog}) never settled`, listenWithBacklog(host, backlog))
  expect(server, 'listenWithBacklog() should resolve with the net.Server it started').toBeInstanceOf(RemoteServer)
  expect(server.facts.listening, `when listenWithBacklog() resolved, the server was ${listeningStateOf(server.facts)}`).toBe(true)
  return server as ListeningServer
}

/** The usual mix-up, named where it applies. */
function hintsFor(server: RemoteServer): string {
  const { maxConnections } = server.facts
  return maxConnections !== null && maxConnections > 0
    ? ` (server.maxConnections is ${maxConnections}: it limits connections after they are accepted; the accept queue is listen()'s backlog)`
    : ''
}

/** The backlog the kernel applied to the server's listening socket, as ss shows it (Send-Q). */
function appliedBacklog(server: ListeningServer, asked: number): void {
  const expected = Math.min(asked, somaxconn() ?? asked)
  const applied = listenersOnPort(server.port)[0]?.backlog
  expect(
    applied,
    `ss -ltn shows a backlog of ${applied} for port ${server.port}, but the test asked for ${asked}` +
      (applied === 511 ? ' (511 is what Node uses when listen() is given no backlog)' : '') +
      hintsFor(server),
  ).toBe(expected)
}

/**
 * Waits until your kata process has accepted `count` connections on the server's port: it then holds
 * them as sockets of its own, ESTAB on that port in the kernel's table.
 */
async function untilAccepted(server: ListeningServer, count: number, ms: number, whatDidNotHappen: string): Promise<void> {
  const acceptedNow = () => kata.sockets('tcp', (socket) => socket.state === 'ESTAB' && socket.localPort === server.port)
  try {
    await until(ms, whatDidNotHappen, async () => (await kata.socketCount()) >= count + 1) // the listener, and one per connection
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error
    const held = (await acceptedNow()).length
    throw new DeadlineError(`${error.message}; your kata process holds ${held} of the ${count} connections (ESTAB on port ${server.port} in /proc/net/tcp)${hintsFor(server)}`)
  }
  const accepted = await acceptedNow()
  expect(accepted.length, `ESTAB sockets of your kata process on port ${server.port}, as /proc/net/tcp shows them`).toBeGreaterThanOrEqual(count)
}

describe('listenWithBacklog(host, backlog)', () => {
  test('resolves with a server listening on the host asked for', async () => {
    const server = await serverWithBacklog('127.0.0.1', 5)
    expect(listeningStateOf(server.facts), 'the server should listen on the host it was given').toBe(`listening on 127.0.0.1:${server.port}`)
    await expectConnectable('127.0.0.1', server.port, 'the server listenWithBacklog() resolved with should be listening')
  })

  test.for([1, 8, 100, 1000])('the kernel applies a backlog of %i, as ss shows it (Send-Q)', async (backlog, context) => {
    requireSs(context)
    appliedBacklog(await serverWithBacklog('127.0.0.1', backlog), backlog)
  })

  test('the largest backlog the kernel allows (net.core.somaxconn) is applied whole', async (context) => {
    requireSs(context)
    const largest = somaxconn()
    if (largest === undefined) context.skip('net.core.somaxconn cannot be read here')
    appliedBacklog(await serverWithBacklog('127.0.0.1', largest!), largest!)
  })

  test.for([2, 5])(
    'with its event loop stopped, a server with backlog %i lets exactly backlog + 1 clients complete the handshake',
    async (backlog, context) => {
      requireSs(context)
      const server = await serverWithBacklog('127.0.0.1', backlog)
      const seen = await connectWhileFrozen(kata, '127.0.0.1', server.port, backlog + 3)
      await kata.thaw()
      expect(
        { completed: seen.completed, waiting: seen.waiting },
        `${backlog + 3} clients connected while the server could not accept: the kernel completed ${seen.completed} ` +
          `handshakes and left ${seen.waiting} clients waiting in SYN-SENT; a backlog of ${backlog} queues exactly ` +
          `${backlog + 1}${hintsFor(server)}`,
      ).toEqual({ completed: backlog + 1, waiting: 2 })
      await untilAccepted(server, backlog + 1, ACCEPT_MS, `once its event loop ran again, the server never accepted the ${backlog + 1} queued connections`)
    },
  )

  test('a client that had to wait gets in once the server accepts again, when its SYN is retried', async (context) => {
    requireSs(context)
    const server = await serverWithBacklog('127.0.0.1', 1)
    const seen = await connectWhileFrozen(kata, '127.0.0.1', server.port, 3)
    await kata.thaw()
    expect(seen.waiting, `with backlog 1 and the server not accepting, the third client should wait in SYN-SENT${hintsFor(server)}`).toBe(1)
    await untilAccepted(server, 3, SYN_RETRY_MS, 'the client that waited in SYN-SENT was never accepted after the server resumed')
  })

  test('works on the IPv6 loopback address ::1 too, backlog and all', async (context) => {
    requireSs(context)
    await requireAddress(context, '::1')
    const server = await serverWithBacklog('::1', 7)
    expect(listeningStateOf(server.facts), 'the server should listen on the host it was given').toBe(`listening on ${endpoint('::1', server.port)}`)
    appliedBacklog(server, 7)
  })

  test('an address this host does not have rejects with EADDRNOTAVAIL', async (context) => {
    const foreign = requireForeignAddress(context)
    const result = await outcome(LISTEN_MS, `listenWithBacklog('${foreign}', 5) never settled for an address this host does not have`, listenWithBacklog(foreign, 5))
    expect(
      result.resolved ? undefined : result.error.code,
      `${foreign} is not an address of this host, so listening fails and listenWithBacklog() should reject with that error; it ${describeOutcome(result)}`,
    ).toBe('EADDRNOTAVAIL')
  })

  test("once it has resolved, it leaves no 'error' listener of its own on the server", async () => {
    const server = await serverWithBacklog('127.0.0.1', 5)
    await expectConnectable('127.0.0.1', server.port, 'the server listenWithBacklog() resolved with should be listening')
    expectNoErrorListenerLeft('listenWithBacklog', server)
  })
})
