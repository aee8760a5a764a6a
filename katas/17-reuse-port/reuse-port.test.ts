import { describe, expect, test, type TestContext } from 'vitest'
import { descriptorLimitUnavailable } from '#harness/kata-process/descriptor-limit.ts'
import { kataUnderTest } from '#harness/kata-process/kata-under-test.ts'
import { RemoteServer } from '#harness/kata-process/remote.ts'
import type { KernelSocket } from '#harness/kernel/proc-net.ts'
import { describeOutcome, outcome, type Outcome } from '#harness/lifecycle/outcome.ts'
import { requireAddress, requireKernelSocketTable, requireLinux, requireReusePort } from '#harness/lifecycle/requirements.ts'
import { until } from '#harness/lifecycle/within.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { withFreeTcpPort } from '#harness/sockets/ports.ts'
import { connectedClient, expectConnectable, testServer } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./reuse-port.ts')>(import.meta.url)
const { listenShared } = kata.exports

const LISTEN_MS = 2000
const SHARED_COUNT = 3
/**
 * The spread: SPREAD_CONNECTIONS connections over SPREAD_LISTENERS listeners. The kernel picks a
 * listener by a hash of each connection's 4-tuple, and the test's clients differ in their source port,
 * so each connection lands on a listener as if at random. The chance that some listener gets none of n
 * is at most k·(1 − 1/k)^n: for k = 4, n = 80 that is 4 × 0.75^80 ≈ 4.1e-10, below one run in a
 * billion (n = 77 is the least that gets under 1e-9).
 */
const SPREAD_LISTENERS = 4
const SPREAD_CONNECTIONS = 80
/** How long the kernel may take to show every finished handshake in the listeners' accept queues, on a busy machine. */
const QUEUED_MS = 2000
/** The failure in the middle: the kata process may open this many more descriptors (two listeners), and the third listen gets EMFILE. */
const SPARE_DESCRIPTORS = 2
const COUNT_WHEN_SHORT = 4

type Servers = Awaited<ReturnType<typeof listenShared>>

/** Every test needs a Node that honours reusePort, and the kernel's table to check what it did. */
function requireSharedPorts(context: TestContext): void {
  requireReusePort(context)
  requireLinux(context, 'SO_REUSEPORT spreads connections over listeners on Linux; other systems share a port differently')
  requireKernelSocketTable(context)
}

/** listenShared(host, port, count), which must resolve: its servers. */
async function listening(host: string, port: number, count: number): Promise<Servers> {
  const result = await outcome(LISTEN_MS, `listenShared('${host}', ${port}, ${count}) never settled`, listenShared(host, port, count))
  expect(
    result.resolved,
    `listenShared('${host}', ${port}, ${count}) ${describeOutcome(result)}` +
      (!result.resolved && result.error.code === 'EADDRINUSE'
        ? ": a second listener on a port needs SO_REUSEPORT, and so does every listener already there, the first included (listen({ host, port, reusePort: true }) for each; exclusive: false is cluster's sharing of one socket, not SO_REUSEPORT)"
        : ''),
  ).toBe(true)
  const servers = (result as { value: Servers }).value
  expect(Array.isArray(servers) && servers.every((server) => server instanceof RemoteServer), 'listenShared() should resolve with an array of net.Servers').toBe(true)
  expect(servers, `listenShared() should resolve with ${count} servers`).toHaveLength(count)
  return servers
}

/** The kata process's LISTEN sockets, as the kernel shows them. */
async function listenRows(): Promise<KernelSocket[]> {
  return kata.sockets('tcp', (row) => row.state === 'LISTEN')
}

/** "127.0.0.1:41234, 127.0.0.1:41234", or "none": the rows' local ends, in full (a failure shows every one). */
function listensOn(rows: KernelSocket[]): string {
  return rows.length === 0 ? 'none' : rows.map((row) => endpoint(row.localAddress, row.localPort)).sort().join(', ')
}

/** The port the servers say they listen on (the first one's), for the rows the kernel should show. */
function reportedPort(servers: Servers, rows: KernelSocket[]): number | undefined {
  return servers[0]?.port ?? rows[0]?.localPort
}

/** count LISTEN rows, all on exactly host:port: what the kernel must show once listenShared() has resolved. */
async function expectSharedListeners(host: string, port: number | undefined, count: number, situation: string): Promise<void> {
  const rows = await listenRows()
  const ports = [...new Set(rows.map((row) => row.localPort))]
  const found = listensOn(rows)
  expect(
    found,
    `your kata process's LISTEN sockets, as /proc/net/tcp shows them, ${situation}: ${count} separate sockets on exactly ${endpoint(host, port ?? 0)} (found: ${found})` +
      (rows.length === 1 && count > 1 ? '. There is one socket: several net.Servers sharing one listening socket (one handle) are not several listeners' : '') +
      (ports.length > 1 ? `. They are on ${ports.length} ports: with port 0 only the first gets its port from the OS; the rest must listen on the port it got` : ''),
  ).toBe(Array.from({ length: count }, () => endpoint(host, port ?? 0)).join(', '))
}

describe('listenShared(host, port, count)', () => {
  test('port 0: count servers on one port the OS chose, and the kernel shows count LISTEN sockets of yours on exactly 127.0.0.1 and that port', async (context) => {
    requireSharedPorts(context)
    const servers = await listening('127.0.0.1', 0, SHARED_COUNT)
    const port = reportedPort(servers, await listenRows())
    expect(new Set(servers.map((server) => server.id)).size, `listenShared() should resolve with ${SHARED_COUNT} different servers, not one server several times`).toBe(
      SHARED_COUNT,
    )
    await expectSharedListeners('127.0.0.1', port, SHARED_COUNT, `after listenShared('127.0.0.1', 0, ${SHARED_COUNT})`)
  })

  test('a given port: count LISTEN sockets on exactly 127.0.0.1 and that port, and a client connects', async (context) => {
    requireSharedPorts(context)
    const { port } = await withFreeTcpPort('127.0.0.1', async (free) => ({ port: free, servers: await listening('127.0.0.1', free, SHARED_COUNT) }))
    await expectSharedListeners('127.0.0.1', port, SHARED_COUNT, `after listenShared('127.0.0.1', ${port}, ${SHARED_COUNT})`)
    await expectConnectable('127.0.0.1', port, `your ${SHARED_COUNT} servers listen on 127.0.0.1:${port}`)
  })

  test('on ::1: count LISTEN sockets on exactly [::1] and one port', async (context) => {
    requireSharedPorts(context)
    await requireAddress(context, '::1')
    const servers = await listening('::1', 0, SHARED_COUNT)
    await expectSharedListeners('::1', reportedPort(servers, await listenRows()), SHARED_COUNT, `after listenShared('::1', 0, ${SHARED_COUNT})`)
  })

  test('the kernel spreads connections over the listeners: 80 connections while your process accepts none reach the accept queue of every one of 4', async (context) => {
    requireSharedPorts(context)
    const servers = await listening('127.0.0.1', 0, SPREAD_LISTENERS)
    const port = reportedPort(servers, await listenRows())!
    await expectSharedListeners('127.0.0.1', port, SPREAD_LISTENERS, `after listenShared('127.0.0.1', 0, ${SPREAD_LISTENERS})`)
    // Frozen, your process accepts nothing: every connection stays in the accept queue of the listener the kernel chose for it.
    await kata.freeze()
    try {
      await Promise.all(Array.from({ length: SPREAD_CONNECTIONS }, () => connectedClient('127.0.0.1', port)))
      const queued = () => listenRows().then((rows) => rows.filter((row) => row.localPort === port).map((row) => row.receiveQueue))
      await until(QUEUED_MS, `the kernel never showed the ${SPREAD_CONNECTIONS} connections in the accept queues on port ${port}`, async () =>
        (await queued()).reduce((sum, waiting) => sum + waiting, 0) >= SPREAD_CONNECTIONS,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}; the queues held ${(await queued()).join(', ')}`)
      })
      const perListener = (await queued()).sort((a, b) => a - b)
      expect(perListener, `connections waiting in each LISTEN socket's accept queue on port ${port} (ss Recv-Q), ${SPREAD_CONNECTIONS} in all`).toHaveLength(SPREAD_LISTENERS)
      expect(
        perListener.filter((waiting) => waiting === 0).length,
        `of your ${SPREAD_LISTENERS} listeners, those the kernel gave none of ${SPREAD_CONNECTIONS} connections (queues: ${perListener.join(', ')})`,
      ).toBe(0)
    } finally {
      await kata.thaw()
    }
  })

  test('count 1: one listener, with SO_REUSEPORT: a second listenShared() on its port joins it', async (context) => {
    requireSharedPorts(context)
    const [first] = await listening('127.0.0.1', 0, 1)
    const port = first!.port!
    const second = await outcome(LISTEN_MS, `a second listenShared('127.0.0.1', ${port}, 1) never settled`, listenShared('127.0.0.1', port, 1))
    expect(
      second.resolved,
      `listenShared('127.0.0.1', 0, 1) resolved with a server on port ${port}; a second listenShared('127.0.0.1', ${port}, 1) ${describeOutcome(second)}: ` +
        'every listener on a shared port needs SO_REUSEPORT, even when count is 1, or nothing can join it',
    ).toBe(true)
    await expectSharedListeners('127.0.0.1', port, 2, 'after listenShared() twice on one port, one server each')
  })

  test('a port held by a listener without SO_REUSEPORT: rejects with EADDRINUSE and leaves nothing listening', async (context) => {
    requireSharedPorts(context)
    const occupied = await testServer('127.0.0.1')
    const result = await failing('127.0.0.1', occupied.port, SHARED_COUNT, 'a port a listener of the test holds without SO_REUSEPORT')
    expect(
      result.resolved ? undefined : result.error.code,
      `127.0.0.1:${occupied.port} is held by a listener that did not set SO_REUSEPORT, so no listener may join it: listenShared() should reject with the listen error; it ${describeOutcome(result)}`,
    ).toBe('EADDRINUSE')
    const left = listensOn(await listenRows())
    expect(left, `your kata process's LISTEN sockets once listenShared() had rejected (/proc/net/tcp: ${left}): on failure, nothing may be left listening`).toBe('none')
  })

  test('a listen that fails after two succeeded (no descriptor left): rejects with EMFILE and closes the two servers it opened', async (context) => {
    requireSharedPorts(context)
    const unavailable = descriptorLimitUnavailable()
    if (unavailable) context.skip(unavailable)
    // The kata process may open two more descriptors: two listeners; the third socket() fails with EMFILE.
    const result = await kata.withNoFreeDescriptor(
      () => failing('127.0.0.1', 0, COUNT_WHEN_SHORT, `a process that may open only ${SPARE_DESCRIPTORS} more descriptors`),
      SPARE_DESCRIPTORS,
    )
    expect(
      result.resolved ? undefined : result.error.code,
      `with room for only ${SPARE_DESCRIPTORS} more descriptors, the third listen fails with EMFILE: listenShared(..., ${COUNT_WHEN_SHORT}) should reject with that error; it ${describeOutcome(result)}`,
    ).toBe('EMFILE')
    const left = listensOn(await listenRows())
    expect(
      left,
      `your kata process's LISTEN sockets once listenShared() had rejected (/proc/net/tcp: ${left}): the ${SPARE_DESCRIPTORS} servers it had opened before the failure must be closed`,
    ).toBe('none')
  })
})

/** listenShared() where it must fail: how it ended (a resolution's servers are the test's, closed after it). */
function failing(host: string, port: number, count: number, why: string): Promise<Outcome<Servers>> {
  return outcome(LISTEN_MS, `listenShared('${host}', ${port}, ${count}) never settled for ${why}`, listenShared(host, port, count))
}
