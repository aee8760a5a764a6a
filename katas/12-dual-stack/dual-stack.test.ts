import net from 'node:net'
import { inspect } from 'node:util'
import type { TestContext } from 'vitest'
import { describe, expect, test } from 'vitest'
import { kataUnderTest } from '#harness/kata-process/kata-under-test.ts'
import { RemoteServer, RemoteSocket, type RemoteHandle } from '#harness/kata-process/remote.ts'
import { procNetUnavailable, type KernelSocket } from '#harness/kernel/proc-net.ts'
import { closeAfterTest } from '#harness/lifecycle/cleanup.ts'
import { isHarnessError } from '#harness/lifecycle/harness-error.ts'
import { describeOutcome, outcome } from '#harness/lifecycle/outcome.ts'
import { requireAddress, requireKernelSocketTable } from '#harness/lifecycle/requirements.ts'
import { DeadlineError, nextEvent, until, within } from '#harness/lifecycle/within.ts'
import { endpoint, missingAddressReason } from '#harness/sockets/addresses.ts'
import { withFreeTcpPort } from '#harness/sockets/ports.ts'
import { testServer } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./dual-stack.ts')>(import.meta.url)
const { listenDualStack, listenPerFamily, peerOf } = kata.exports

/** How long a listen may take: nothing in it waits for anyone. */
const LISTEN_MS = 2000
/** How long listenPerFamily(0) may take when every try collides: a few listens each, nothing to wait for. */
const RETRIES_MS = 5000
/** How long a client's handshake may take, and then your kata process's accept(). */
const CONNECT_MS = 2000
const ACCEPT_MS = 2000
/** How long a listener your code closed may take to leave the kernel's table. */
const CLOSE_MS = 1000
/** How long peerOf() may take: it reads two properties. */
const ANSWER_MS = 2000
/** listenPerFamily(0) must try at least this many ports when '::' is taken on the first ones... */
const TRIES_AT_LEAST = 3
/** ...and give up after at most this many. */
const TRIES_AT_MOST = 10
/** How many ports the test tries for a port of its own that no other process's socket shares. */
const OTHER_PORT_TRIES = 5
/** Vitest's own limit for the tests that make many tries, past every bound inside them. */
const RETRY_TEST_MS = 15_000

// ---------------------------------------------------------------------------------------------------
// Where IPv6 is: '::' needs an IPv6 stack in the kernel; [::1] needs IPv6 configured on lo too.
// ---------------------------------------------------------------------------------------------------

/** Skips where this host cannot listen on '::' at all (a kernel without IPv6): a dual-stack socket is an IPv6 socket. */
async function requireIPv6Sockets(context: TestContext): Promise<void> {
  if (await missingAddressReason('::')) context.skip("this host cannot listen on '::' (its kernel has no IPv6): a dual-stack socket is an IPv6 socket")
}

// ---------------------------------------------------------------------------------------------------
// The test's ends: clients in the test process, and a record of what a server in the kata process accepted.
// ---------------------------------------------------------------------------------------------------

/** A client of the test's to host:port: whether it connected ('connected', or the kernel's error code), and the socket. */
async function clientTo(host: string, port: number): Promise<{ result: string; client: net.Socket }> {
  const client = closeAfterTest(net.connect({ host, port }))
  try {
    await nextEvent(client, 'connect', CONNECT_MS, `a test client's connection to ${endpoint(host, port)} neither succeeded nor failed`)
    return { result: 'connected', client }
  } catch (error) {
    if (error instanceof DeadlineError) throw error
    return { result: (error as NodeJS.ErrnoException).code ?? (error as Error).message, client }
  }
}

/** The test's client's own end, "127.0.0.1:41234": where its connection came from, as the test's kernel says. */
function clientEnd(client: net.Socket): string {
  return endpoint(client.localAddress ?? '?', client.localPort ?? 0)
}

interface ConnectionLog {
  /** The connections the server has accepted (in your kata process) since the log began, oldest first. */
  accepted(): Promise<RemoteSocket[]>
}

/** Starts recording the connections `server` accepts in the kata process (a 'connection' listener of the test's). */
async function connectionLog(server: RemoteHandle): Promise<ConnectionLog> {
  const log = await kata.testDouble('connection-log')
  await log.control('watch', server)
  return { accepted: async () => (await log.control('accepted')) as RemoteSocket[] }
}

/** Which of `logs` accepted the test's client first (bounded), and the socket it accepted. */
async function landing(logs: Record<string, ConnectionLog>, client: net.Socket): Promise<{ on: string; socket: RemoteSocket }> {
  let found: { on: string; socket: RemoteSocket } | undefined
  await until(ACCEPT_MS, `no server of your kata process accepted the test's client ${clientEnd(client)}, though its handshake was done`, async () => {
    for (const [on, log] of Object.entries(logs)) {
      const [socket] = await log.accepted()
      if (socket) found = { on, socket }
    }
    return found !== undefined
  })
  return found!
}

// ---------------------------------------------------------------------------------------------------
// The kernel's view: which table (tcp or tcp6) a LISTEN row is in, and where it listens.
// ---------------------------------------------------------------------------------------------------

/** "tcp6 [::]:41234", "tcp 0.0.0.0:41234": /proc/net/tcp6 writes every address in IPv6's 128 bits, /proc/net/tcp in IPv4's 32. */
function describeListener(row: KernelSocket): string {
  return `${net.isIPv6(row.localAddress) ? 'tcp6' : 'tcp'} ${endpoint(row.localAddress, row.localPort)}`
}

/** Your kata process's LISTEN sockets as the kernel shows them, sorted, but for those in `except`. */
async function listenersOfYours(except: string[] = []): Promise<string[]> {
  const rows = await kata.sockets('tcp', (row) => row.state === 'LISTEN')
  return rows
    .map(describeListener)
    .filter((row) => !except.includes(row))
    .sort()
}

/** Waits (bounded) until your kata process listens nowhere but `except`; what it still listens on, if it does. */
async function listenersLeft(except: string[] = []): Promise<string[]> {
  let left: string[] = []
  try {
    await until(CLOSE_MS, 'never', async () => (left = await listenersOfYours(except)).length === 0)
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error
  }
  return left
}

/**
 * A server of the test's on `host`, port 0, where a client of the other family (`otherClient`) is refused
 * before your code runs: the OS may give an IPv6-only socket a port on which another process listens
 * over IPv4, and the other way round, and a refusal the test checks later must be about your code alone.
 */
async function portOfTheTest(host: string, options: net.ListenOptions, otherClient: string | undefined): Promise<net.Server & { port: number }> {
  for (let tries = 1; ; tries++) {
    const server = await testServer(host, options)
    if (otherClient === undefined) return server
    const { result, client } = await clientTo(otherClient, server.port)
    client.destroy()
    if (result === 'ECONNREFUSED') return server
    server.close()
    if (tries === OTHER_PORT_TRIES) throw new Error(`the test found no port where it alone listens: ${endpoint(otherClient, server.port)} was never refused in ${tries} tries`)
  }
}

// ---------------------------------------------------------------------------------------------------
// Your functions, bounded.
// ---------------------------------------------------------------------------------------------------

/** listenDualStack(port): the server it resolved with, listening. */
async function dualStack(port: number): Promise<RemoteServer & { port: number }> {
  const result = await outcome(LISTEN_MS, `listenDualStack(${port}) never settled (a listen waits for no one)`, listenDualStack(port))
  if (!result.resolved) {
    const { code, message } = result.error
    throw Object.assign(new Error(`listenDualStack(${port}) rejected with ${code} (${message}), though the port was free on every address`), { code })
  }
  const server = result.value
  expect(server, 'listenDualStack() should resolve with the net.Server it started').toBeInstanceOf(RemoteServer)
  expect(server.port, 'the server listenDualStack() resolved with was not listening yet: resolve once it is').toBeTypeOf('number')
  return server as RemoteServer & { port: number }
}

type Servers = { v4: RemoteServer & { port: number }; v6: RemoteServer & { port: number } }

/** listenPerFamily(port), resolved: both servers, listening on one port. */
async function perFamily(port: number, ms = LISTEN_MS): Promise<Servers> {
  const result = await outcome(ms, `listenPerFamily(${port}) never settled (a listen waits for no one)`, listenPerFamily(port))
  if (!result.resolved) {
    const { code, message } = result.error
    const why =
      code === 'EADDRINUSE'
        ? ": with 0.0.0.0 listening on a port, '::' on the same port collides with it unless it is IPv6-only (listen with ipv6Only: true)"
        : ''
    throw Object.assign(new Error(`listenPerFamily(${port}) rejected with ${code} (${message})${why}`), { code })
  }
  return checkServers(result.value)
}

/** peerOf(socket), bounded, written out short as "127.0.0.1 (IPv4)": its address and family (whatever else it holds is not compared). */
async function peerOfSocket(socket: RemoteSocket): Promise<string> {
  const peer = (await within(ANSWER_MS, 'peerOf() never returned', peerOf(socket))) as unknown
  expect(peer, 'peerOf() should return an object { address, family }, read here as "address (family)"').toBeTypeOf('object')
  const { address, family } = (peer ?? {}) as { address?: unknown; family?: unknown }
  return written({ address, family })
}

function written({ address, family }: { address: unknown; family: unknown }): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : inspect(value))
  return `${text(address)} (${text(family)})`
}

/** A connection to a server of the test's in your kata process (on `serverHost`) from a client of the test's to `clientHost`: the accepted socket there. */
async function acceptedConnection(serverHost: string, clientHost: string): Promise<{ socket: RemoteSocket; client: net.Socket }> {
  const server = await kata.createServer(serverHost)
  const log = await connectionLog(server)
  const { result, client } = await clientTo(clientHost, server.port!)
  if (result !== 'connected') throw new Error(`the test's client could not connect to its own server in your kata process at ${endpoint(clientHost, server.port!)}: ${result}`)
  const { socket } = await landing({ server: log }, client)
  return { socket, client }
}

// ---------------------------------------------------------------------------------------------------

describe('listenDualStack(port)', () => {
  test("port 0: one server on '::' that an IPv4 client reaches, its peer on your side being ::ffff:127.0.0.1", async (context) => {
    await requireIPv6Sockets(context)
    const server = await dualStack(0)
    const log = await connectionLog(server)
    const { result, client } = await clientTo('127.0.0.1', server.port)
    expect(
      result,
      `a client connecting to 127.0.0.1:${server.port} (the server is ${server}) should be accepted: ` +
        (result === 'ECONNREFUSED'
          ? "it was refused, so nothing listens for IPv4 there. A '::' socket takes IPv4 clients only while IPV6_V6ONLY is off, which is Node's default (ipv6Only: false); ipv6Only: true makes it IPv6 only"
          : `it gave ${result}`),
    ).toBe('connected')
    const { socket } = await landing({ server: log }, client)
    expect(
      socket.facts.remote && endpoint(socket.facts.remote.address, socket.facts.remote.port),
      `the peer of the connection your server accepted from the test's client ${clientEnd(client)}, as Node in your kata process reads it (getpeername): ` +
        "a socket on '::' sees an IPv4 client as its IPv4-mapped address, ::ffff:127.0.0.1; a plain 127.0.0.1 means the connection came in on an IPv4 socket (0.0.0.0), not on '::'",
    ).toBe(endpoint('::ffff:127.0.0.1', client.localPort!))
  })

  test('the kernel shows its one LISTEN socket in /proc/net/tcp6, on [::] and the port asked for, and none in /proc/net/tcp', async (context) => {
    await requireIPv6Sockets(context)
    requireKernelSocketTable(context)
    const server = await withFreeTcpPort('::', (port) => dualStack(port))
    expect(
      await listenersOfYours(),
      `your kata process's LISTEN sockets once listenDualStack(${server.port}) resolved (tcp: /proc/net/tcp, tcp6: /proc/net/tcp6): ` +
        "one socket on '::' serves both families, so it is one row, in the IPv6 table; a row in tcp is an IPv4 socket, which IPv6 clients cannot reach",
    ).toEqual([`tcp6 ${endpoint('::', server.port)}`])
  })

  test('an IPv6 client ([::1]) is accepted too, its peer on your side being ::1', async (context) => {
    await requireAddress(context, '::1')
    const server = await dualStack(0)
    const log = await connectionLog(server)
    const { result, client } = await clientTo('::1', server.port)
    expect(
      result,
      `a client connecting to [::1]:${server.port} (the server is ${server}) should be accepted: ` +
        (result === 'ECONNREFUSED' ? "it was refused: an IPv4 socket (0.0.0.0) takes no IPv6 clients; listen on '::'" : `it gave ${result}`),
    ).toBe('connected')
    const { socket } = await landing({ server: log }, client)
    expect(socket.facts.remote?.address, `the peer of the connection your server accepted from the test's client ${clientEnd(client)}`).toBe('::1')
  })
})

describe('listenPerFamily(port)', () => {
  test('port 0: the kernel shows two LISTEN sockets on one port, 0.0.0.0 in /proc/net/tcp and [::] in /proc/net/tcp6', async (context) => {
    await requireIPv6Sockets(context)
    requireKernelSocketTable(context)
    const { v4 } = await perFamily(0)
    expect(
      await listenersOfYours(),
      `your kata process's LISTEN sockets once listenPerFamily(0) resolved (tcp: /proc/net/tcp, tcp6: /proc/net/tcp6): an IPv4 socket on 0.0.0.0 and an IPv6-only socket on '::', sharing the port`,
    ).toEqual([`tcp ${endpoint('0.0.0.0', v4.port)}`, `tcp6 ${endpoint('::', v4.port)}`])
  })

  test('an IPv4 client (127.0.0.1) lands on v4, as 127.0.0.1, and v6 accepts nothing', async (context) => {
    await requireIPv6Sockets(context)
    const { v4, v6 } = await perFamily(0)
    const logs = { v4: await connectionLog(v4), v6: await connectionLog(v6) }
    const { result, client } = await clientTo('127.0.0.1', v4.port)
    expect(result, `a client connecting to 127.0.0.1:${v4.port}`).toBe('connected')
    const { on, socket } = await landing(logs, client)
    expect(
      on,
      `the server that accepted the test's IPv4 client ${clientEnd(client)}: the IPv4 socket (0.0.0.0) is the one listenPerFamily() should return as v4, and an IPv6-only '::' takes no IPv4 client`,
    ).toBe('v4')
    expect(socket.facts.remote?.address, `the peer of that connection on your side: an IPv4 socket sees the IPv4 address itself`).toBe('127.0.0.1')
  })

  test('an IPv6 client ([::1]) lands on v6, and v4 accepts nothing', async (context) => {
    await requireAddress(context, '::1')
    const { v4, v6 } = await perFamily(0)
    const logs = { v4: await connectionLog(v4), v6: await connectionLog(v6) }
    const { result, client } = await clientTo('::1', v6.port)
    expect(result, `a client connecting to [::1]:${v6.port}`).toBe('connected')
    const { on } = await landing(logs, client)
    expect(on, `the server that accepted the test's IPv6 client ${clientEnd(client)}: the '::' socket is the one listenPerFamily() should return as v6`).toBe('v6')
  })

  test("a port whose '::' is taken (IPv6-only, by the test): rejects with EADDRINUSE and leaves nothing listening", async (context) => {
    await requireIPv6Sockets(context)
    const taken = await portOfTheTest('::', { ipv6Only: true }, '127.0.0.1')
    const result = await outcome(LISTEN_MS, `listenPerFamily(${taken.port}) never settled`, listenPerFamily(taken.port))
    expect(
      result.resolved ? undefined : result.error.code,
      `the test holds [::]:${taken.port} (IPv6 only), so listenPerFamily(${taken.port}) cannot have both families on that port and should reject with the listen error; ` +
        `it ${describeOutcome(result)}${result.resolved ? ' (a port asked for is that port or an error: only port 0 may move)' : ''}`,
    ).toBe('EADDRINUSE')
    const { result: overIPv4 } = await clientTo('127.0.0.1', taken.port)
    expect(
      overIPv4,
      `after listenPerFamily(${taken.port}) rejected, a client connecting to 127.0.0.1:${taken.port} should be refused (the test's own socket there is IPv6-only): ` +
        'your 0.0.0.0 server is still listening. When the second listen fails, close the first before rejecting',
    ).toBe('ECONNREFUSED')
    if (procNetUnavailable()) return
    expect(await listenersLeft(), `your kata process's LISTEN sockets after listenPerFamily(${taken.port}) rejected: none should be left`).toEqual([])
  })

  test('a port whose 0.0.0.0 is taken (by the test): rejects with EADDRINUSE and leaves nothing listening', async (context) => {
    await requireIPv6Sockets(context)
    const taken = await portOfTheTest('0.0.0.0', {}, (await missingAddressReason('::1')) ? undefined : '::1')
    const result = await outcome(LISTEN_MS, `listenPerFamily(${taken.port}) never settled`, listenPerFamily(taken.port))
    expect(
      result.resolved ? undefined : result.error.code,
      `the test holds 0.0.0.0:${taken.port}, so listenPerFamily(${taken.port}) should reject with the listen error; ` +
        `it ${describeOutcome(result)}${result.resolved ? ' (a port asked for is that port or an error: only port 0 may move)' : ''}`,
    ).toBe('EADDRINUSE')
    if (!(await missingAddressReason('::1'))) {
      const { result: overIPv6 } = await clientTo('::1', taken.port)
      expect(
        overIPv6,
        `after listenPerFamily(${taken.port}) rejected, a client connecting to [::1]:${taken.port} should be refused (the test's own socket there is IPv4): ` +
          "a '::' server of yours is still listening. When a listen fails, close what the call had opened before rejecting",
      ).toBe('ECONNREFUSED')
    }
    if (procNetUnavailable()) return
    expect(await listenersLeft(), `your kata process's LISTEN sockets after listenPerFamily(${taken.port}) rejected: none should be left`).toEqual([])
  })

  test(
    "port 0, '::' taken on the port 0.0.0.0 got, twice: closes both, tries another port, and resolves on the third try",
    async (context) => {
      await requireIPv6Sockets(context)
      const collider = await kata.testDouble('port-collider', { collisions: TRIES_AT_LEAST - 1 })
      const result = await outcome(RETRIES_MS, 'listenPerFamily(0) never settled', listenPerFamily(0))
      const report = await collisionReport(collider)
      expect(
        result.resolved ? 'resolved' : describeOutcome(result),
        `listenPerFamily(0) when the test took ${listed(report.taken.map(takenEnd))} just before your code listened there (${describeTries(report)}): ` +
          `with port 0 the OS chose the port, so another one will do. Close what that try opened, and try again from the start (port 0), a few times (at least ${TRIES_AT_LEAST})`,
      ).toBe('resolved')
      expect(
        report.taken.map(takenEnd),
        `where the test listened, just before your code asked for the same: your second listen of each try, on the port the first got (0.0.0.0 first, then '::' on its port)`,
      ).toHaveLength(TRIES_AT_LEAST - 1)
      const { v4 } = checkServers(result.resolved ? result.value : undefined)
      expect(report.taken.map((t) => t.port), `the port listenPerFamily(0) resolved on, ${v4.port}, should be none of those taken`).not.toContain(v4.port)
      await expectNothingLeftWhereTaken(report, 'Close it before the next try')
      if (procNetUnavailable()) return
      expect(
        await listenersOfYours(doubleRows(report)),
        `your kata process's LISTEN sockets once listenPerFamily(0) resolved, but the test's own (${listed(doubleRows(report))})`,
      ).toEqual([`tcp ${endpoint('0.0.0.0', v4.port)}`, `tcp6 ${endpoint('::', v4.port)}`])
    },
    RETRY_TEST_MS,
  )

  test(
    "port 0, '::' taken on every port 0.0.0.0 gets: gives up after a few tries (10 at most), rejects with EADDRINUSE and leaves nothing listening",
    async (context) => {
      await requireIPv6Sockets(context)
      const collider = await kata.testDouble('port-collider', { collisions: TRIES_AT_MOST })
      const result = await outcome(
        RETRIES_MS,
        `listenPerFamily(0) never settled, while the test took '::' on every port 0.0.0.0 got (for ${TRIES_AT_MOST} tries)`,
        listenPerFamily(0),
      )
      const report = await collisionReport(collider)
      expect(
        result.resolved ? `resolved after ${triesOf(report)} tries` : result.error.code,
        `listenPerFamily(0) when the test took '::' on every port 0.0.0.0 got, for the first ${TRIES_AT_MOST} tries: a few tries are enough, then reject with the last listen error; it ${describeOutcome(result)}`,
      ).toBe('EADDRINUSE')
      await expectNothingLeftWhereTaken(report, 'Close it before trying again, and before rejecting')
      if (procNetUnavailable()) return
      expect(
        await listenersLeft(doubleRows(report)),
        `your kata process's LISTEN sockets after listenPerFamily(0) rejected, but the test's own (${listed(doubleRows(report))}): none should be left`,
      ).toEqual([])
    },
    RETRY_TEST_MS,
  )
})

/** What the port-collider double did: where it listened (just before your code asked for the same), and every listen() of yours it saw. */
interface CollisionReport {
  /** Where the double listened; byAnother: another socket held it already, so your listen collided all the same. */
  taken: { host: string; port: number; byAnother?: boolean }[]
  holderErrors: string[]
  listens: { host: string | null; port: number; ipv6Only: boolean }[]
}

async function collisionReport(collider: { control(command: string): Promise<unknown> }): Promise<CollisionReport> {
  const report = (await collider.control('report')) as CollisionReport
  if (report.holderErrors.length > 0) {
    throw new Error(`the test could not listen where your code was about to (so nothing collided, and nothing can be judged): ${listed(report.holderErrors)}`)
  }
  return report
}

/** How many ports your code tried: the listens on port 0 (each try starts with one). */
function triesOf(report: CollisionReport): number {
  return report.listens.filter((listen) => listen.port === 0).length
}

/** "your code tried 1 port; its '::' listens were not IPv6-only", for a failure message. */
function describeTries(report: CollisionReport): string {
  const tries = triesOf(report)
  const dualStack = report.listens.some((listen) => (listen.host === '::' || listen.host === null) && !listen.ipv6Only)
  return `your code tried ${tries} port${tries === 1 ? '' : 's'}${dualStack ? "; and its '::' listens were not IPv6-only, which collide with 0.0.0.0 by themselves" : ''}`
}

const takenEnd = ({ host, port }: { host: string; port: number }) => endpoint(host, port)
const takenRow = ({ host, port }: { host: string; port: number }) => `${net.isIPv6(host) ? 'tcp6' : 'tcp'} ${endpoint(host, port)}`
/** The double's own LISTEN rows in your kata process: where it listened itself. */
const doubleRows = (report: CollisionReport) => report.taken.filter((t) => !t.byAnother).map(takenRow)

function listed(items: string[]): string {
  return items.length === 0 ? 'nothing' : items.join(', ')
}

/**
 * Where the test took '::' (IPv6-only), your 0.0.0.0 of that try must be closed: an IPv4 client is
 * refused. Where it took 0.0.0.0 (your code listened on '::' first), your '::' must be: an IPv6 client is.
 */
async function expectNothingLeftWhereTaken(report: CollisionReport, advice: string): Promise<void> {
  const ipv6Client = !(await missingAddressReason('::1'))
  for (const { host, port } of report.taken) {
    const [client, yours] = net.isIPv6(host) ? ['127.0.0.1', '0.0.0.0'] : ['::1', "'::'"]
    if (client === '::1' && !ipv6Client) continue
    const { result } = await clientTo(client, port)
    expect(
      result,
      `a client connecting to ${endpoint(client, port)}, where the test took ${endpoint(host, port)} and your code moved on, should be refused: your ${yours} server of that try is still listening. ${advice}`,
    ).toBe('ECONNREFUSED')
  }
}

/** The { v4, v6 } listenPerFamily() resolved with: both servers, listening on one port. */
function checkServers(value: unknown): Servers {
  const servers = value as Partial<Servers> | undefined
  for (const family of ['v4', 'v6'] as const) {
    expect(servers?.[family], `listenPerFamily() should resolve with { v4, v6 }, both net.Server: ${family}`).toBeInstanceOf(RemoteServer)
    expect(servers![family]!.port, `the ${family} server listenPerFamily() resolved with was not listening yet: resolve once both are`).toBeTypeOf('number')
  }
  const { v4, v6 } = servers as Servers
  expect(v6.port, `the ports of v6 (${v6}) and v4 (${v4}): both should listen on one port, the one 0.0.0.0 got`).toBe(v4.port)
  return { v4, v6 }
}

describe('peerOf(socket)', () => {
  test("an IPv4 client of a dual-stack server (remoteAddress '::ffff:127.0.0.1'): { address: '127.0.0.1', family: 'IPv4' }", async (context) => {
    await requireIPv6Sockets(context)
    const { socket, client } = await acceptedConnection('::', '127.0.0.1')
    const raw = socket.facts.remote
    expect(raw?.address, "the test's own check: its server on '::' in your kata process should see its IPv4 client as ::ffff:127.0.0.1").toBe('::ffff:127.0.0.1')
    expect(
      await peerOfSocket(socket),
      `peerOf() of a connection from the test's client ${clientEnd(client)} to a server on '::', whose remoteAddress is ${raw?.address} and remoteFamily ${raw?.family}: ` +
        "the client is IPv4, and ::ffff:127.0.0.1 is only how an IPv6 socket writes it (remoteFamily says the socket's family, not the client's)",
    ).toBe(written({ address: client.localAddress, family: 'IPv4' }))
  })

  test("an IPv6 client ([::1]): { address: '::1', family: 'IPv6' }", async (context) => {
    await requireAddress(context, '::1')
    const { socket, client } = await acceptedConnection('::1', '::1')
    expect(
      await peerOfSocket(socket),
      `peerOf() of a connection from the test's client ${clientEnd(client)}, whose remoteAddress is ${socket.facts.remote?.address}: an IPv6 address that is not IPv4-mapped stays as it is`,
    ).toBe(written({ address: client.localAddress, family: 'IPv6' }))
  })

  test("an IPv4 client of an IPv4 server (127.0.0.1): unchanged, { address: '127.0.0.1', family: 'IPv4' }", async () => {
    const { socket, client } = await acceptedConnection('127.0.0.1', '127.0.0.1')
    expect(
      await peerOfSocket(socket),
      `peerOf() of a connection from the test's client ${clientEnd(client)} to a server on 127.0.0.1, whose remoteAddress is ${socket.facts.remote?.address}: an IPv4 address stays as it is`,
    ).toBe(written({ address: client.localAddress, family: 'IPv4' }))
  })
})
