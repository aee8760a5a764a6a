import net from 'node:net'
import { Worker } from 'node:worker_threads'
import { describe, expect, test } from 'vitest'
import { kataUnderTest, type KataCall } from '#harness/kata-process/kata-under-test.ts'
import type { RemoteSocket } from '#harness/kata-process/remote.ts'
import { procNetUnavailable, type KernelSocket } from '#harness/kernel/proc-net.ts'
import { closeAfterTest } from '#harness/lifecycle/cleanup.ts'
import { isHarnessError } from '#harness/lifecycle/harness-error.ts'
import { requireAddress, requireKernelSocketTable } from '#harness/lifecycle/requirements.ts'
import { DeadlineError, formatDuration, nextEvent, until, within } from '#harness/lifecycle/within.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { freeTcpPort } from '#harness/sockets/ports.ts'
import { testServer } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./four-tuple.ts')>(import.meta.url)
const { connectFromSamePort } = kata.exports

const HOST = '127.0.0.1'
/** Another loopback address (all of 127.0.0.0/8 is loopback on Linux): what a connection to 127.0.0.1 never comes from unless bound there. */
const OTHER_LOCAL = '127.0.0.2'
/** How long connectFromSamePort() has to settle, every target on loopback. */
const CALL_MS = 2000
/**
 * The same, when a target's server drops the first SYN (its accept queue is full): the kernel
 * sends it again 1 s later, 3 s if that one finds the queue still full on a busy machine, and 7 s.
 */
const SLOW_CALL_MS = 10_000
/** When Linux sends a dropped SYN again: 1 s after the first (its initial retransmission timeout). */
const SYN_RETRY_MS = 1000
/** How long the test waits for the kernel's table to show a state, or a server to see a connection close. */
const KERNEL_MS = 2000
const CONNECT_MS = 2000
/** Vitest's own limit for a test, past the sum of its bounded waits on a busy machine, so that a bound's message is the one shown. */
const TEST_MS = 15_000
const SLOW_TEST_MS = SLOW_CALL_MS + TEST_MS

type Local = { address: string; port: number }

/** A connection a target's server accepted: where it came from, what arrived on it, and whether it closed. */
interface Accepted {
  from: string
  received: Buffer
  closed: boolean
}

/** A server of the test's, and everything it accepted. */
interface TargetServer {
  target: { host: string; port: number }
  accepted: Accepted[]
}

function watch(socket: net.Socket): Accepted {
  const accepted: Accepted = {
    from: endpoint(socket.remoteAddress ?? '?', socket.remotePort ?? 0),
    received: Buffer.alloc(0),
    closed: false,
  }
  socket.on('data', (chunk: Buffer) => (accepted.received = Buffer.concat([accepted.received, chunk])))
  socket.once('close', () => (accepted.closed = true))
  return accepted
}

/** A listening server of the test's on `host`, port 0: one target. */
async function targetServer(host = HOST): Promise<TargetServer> {
  const server = await testServer(host)
  const accepted: Accepted[] = []
  server.on('connection', (socket: net.Socket) => accepted.push(watch(socket)))
  return { target: { host, port: server.port }, accepted }
}

async function targetServers(count: number, host = HOST): Promise<TargetServer[]> {
  const servers: TargetServer[] = []
  for (let i = 0; i < count; i++) servers.push(await targetServer(host))
  return servers
}

/** A port where nothing listens on 127.0.0.1 now, below the ephemeral range (no port-0 listener of a parallel test can take it meanwhile). */
async function refusingTarget(): Promise<{ host: string; port: number }> {
  return { host: HOST, port: await freeTcpPort(HOST) }
}

/**
 * A server whose first SYN from your code is dropped: its listener (backlog 1, in a worker thread)
 * sits frozen in Atomics.wait with its accept queue already full of the test's clients, until the
 * test lets it go; then it accepts, and the kernel's retry of the SYN (1 s after the first) gets in.
 */
async function slowTarget(): Promise<TargetServer & { letGo(): void }> {
  const gate = new Int32Array(new SharedArrayBuffer(4))
  const worker = closeAfterTest(new Worker(SLOW_LISTENER, { eval: true, workerData: { host: HOST, gate: gate.buffer } }))
  const [port] = await nextEvent<[number]>(worker, 'message', CONNECT_MS, "the test's slow helper server never started listening")
  const connections = new Map<number, Accepted>()
  worker.on('message', (message: { id: number; accepted?: string; data?: string; closed?: boolean }) => {
    if (message.accepted) connections.set(message.id, { from: message.accepted, received: Buffer.alloc(0), closed: false })
    const connection = connections.get(message.id)
    if (!connection) return
    if (message.data) connection.received = Buffer.concat([connection.received, Buffer.from(message.data, 'base64')])
    if (message.closed) connection.closed = true
  })
  // Linux completes backlog + 1 handshakes while nothing accepts: two clients of the test's fill the queue.
  const fillers = new Set<string>()
  for (let i = 0; i < 2; i++) {
    const filler = closeAfterTest(net.connect({ host: HOST, port }).on('error', () => {}))
    await nextEvent(filler, 'connect', CONNECT_MS, "a client of the test's never filled the slow helper server's accept queue")
    fillers.add(endpoint(filler.localAddress ?? '?', filler.localPort ?? 0))
  }
  return {
    target: { host: HOST, port },
    get accepted() {
      return [...connections.values()].filter((connection) => !fillers.has(connection.from))
    },
    letGo: () => {
      Atomics.store(gate, 0, 1)
      Atomics.notify(gate, 0)
    },
  }
}

const SLOW_LISTENER = `
const net = require('node:net')
const { parentPort, workerData } = require('node:worker_threads')
let id = 0
const server = net.createServer((socket) => {
  const me = ++id
  parentPort.postMessage({ id: me, accepted: socket.remoteAddress + ':' + socket.remotePort })
  socket.on('data', (chunk) => parentPort.postMessage({ id: me, data: chunk.toString('base64') }))
  socket.on('error', () => {})
  socket.on('close', () => parentPort.postMessage({ id: me, closed: true }))
})
server.listen({ host: workerData.host, port: 0, backlog: 1 }, () => {
  parentPort.postMessage(server.address().port)
  Atomics.wait(new Int32Array(workerData.gate), 0, 0) // frozen: nothing accepted until the test lets go
})
`

/** How often a wait polls the kernel's table (each read walks the whole table). */
const POLL_MS = 20

/** until(), with a message made when the wait runs out, naming what was seen last. */
async function untilSeen(ms: number, whatDidNotHappen: () => string, condition: () => boolean | Promise<boolean>): Promise<void> {
  await until(ms, '', condition, POLL_MS).catch((error: unknown) => {
    if (!(error instanceof DeadlineError)) throw error
    throw new DeadlineError(`${whatDidNotHappen()} within ${formatDuration(ms)}`)
  })
}

/** "127.0.0.1:40001 -> 127.0.0.1:35000": a kernel row as a connection. */
function describeRow(row: KernelSocket): string {
  return `${endpoint(row.localAddress, row.localPort)} -> ${endpoint(row.remoteAddress, row.remotePort)}`
}

/** The kernel's rows of your kata process's TCP sockets, as "local -> remote STATE". */
async function yourRows(): Promise<string[]> {
  return (await kata.sockets('tcp')).map((row) => `${describeRow(row)} ${row.state}`)
}

/**
 * Waits (bounded) until the kernel shows your kata process holding exactly `count` TCP sockets, all
 * ESTAB, and returns them as "local -> remote", sorted. Off Linux, undefined: not checked.
 */
async function yourEstablishedConnections(count: number): Promise<string[] | undefined> {
  if (procNetUnavailable()) return undefined
  let rows: KernelSocket[] = []
  const settled = async () => {
    rows = await kata.sockets('tcp')
    return rows.length === count && rows.every((row) => row.state === 'ESTAB')
  }
  await until(KERNEL_MS, 'not shown', settled, POLL_MS).catch(() => {}) // the rows seen last are compared with those expected
  return rows.map((row) => (row.state === 'ESTAB' ? describeRow(row) : `${describeRow(row)} ${row.state}`)).sort()
}

/**
 * Fails unless, within KERNEL_MS, every connection your code made has closed: every connection a
 * target accepted has seen its close, and the kernel shows your kata process holding no TCP socket.
 */
async function expectNothingLeftOpen(servers: TargetServer[], why: string): Promise<void> {
  const open = () => servers.flatMap(({ target, accepted }) => accepted.filter((connection) => !connection.closed).map((connection) => `${connection.from} -> ${endpoint(target.host, target.port)}`))
  await untilSeen(KERNEL_MS, () => `the connection${open().length > 1 ? 's' : ''} ${open().join(', ')} never closed, as the target's server saw: ${why}`, () => open().length === 0)
  if (procNetUnavailable()) return
  let rows: string[] = []
  await untilSeen(
    KERNEL_MS,
    () => `your kata process still holds ${rows.join(', ')} in the kernel: ${why}`,
    async () => (rows = await yourRows()).length === 0,
  )
}

/**
 * How a call settled: "resolved", or its error's code and system call: "EADDRNOTAVAIL from connect"
 * (the kernel's answer to a connect()), "EADDRINUSE, no syscall" (an error your code made itself).
 */
async function outcomeOf(call: KataCall<RemoteSocket[]>, ms: number, whatDidNotHappen: string): Promise<{ outcome: string; sockets: RemoteSocket[] }> {
  return within(ms, whatDidNotHappen, call).then(
    (sockets) => ({ outcome: 'resolved', sockets }),
    (error: unknown) => {
      if (isHarnessError(error)) throw error
      const { code, syscall, message } = error as NodeJS.ErrnoException
      return { outcome: `${code ?? `an error with no code (${message})`}${syscall ? ` from ${syscall}` : ', no syscall'}`, sockets: [] }
    },
  )
}

/** Fails unless `actual` is `expected`, item for item; the message shows both whole (Vitest shortens long values). */
function expectList(actual: string[], expected: string[], what: string): void {
  const [seen, wanted] = [actual.join(', '), expected.join(', ')]
  expect(seen, `${what}: seen ${seen || 'none'}; expected ${wanted}`).toBe(wanted)
}

const OUTCOME_NOTE = "(the error's code, and the system call that failed; 'no syscall' for an error your code made itself, not the kernel's)"

/** Calls connectFromSamePort() and expects it to resolve within `ms`, with one socket per target. */
async function connectAll(local: Local, servers: TargetServer[], ms = CALL_MS): Promise<RemoteSocket[]> {
  const targets = servers.map((server) => server.target)
  const { outcome, sockets } = await outcomeOf(
    connectFromSamePort(local, targets),
    ms,
    `connectFromSamePort() never settled, connecting from ${endpoint(local.address, local.port)} to ${targetList(servers)}`,
  )
  expect(outcome, `how connectFromSamePort() settled, every target listening ${OUTCOME_NOTE}`).toBe('resolved')
  expect(sockets, 'what connectFromSamePort() resolved with: an array of sockets, one per target').toHaveLength(targets.length)
  return sockets
}

/** Waits until every server has accepted a connection; returns where each came from, in the order of the servers. */
async function acceptedFrom(servers: TargetServer[]): Promise<string[]> {
  await until(KERNEL_MS, "a target's server never accepted a connection from your code", () => servers.every((server) => server.accepted.length > 0))
  return servers.map((server) => server.accepted.map((connection) => connection.from).join(' and '))
}

function targetList(servers: TargetServer[]): string {
  return servers.map(({ target }) => endpoint(target.host, target.port)).join(', ')
}

/** The connections from `from` to each server, as the kernel's rows should show them: "local -> remote", sorted. */
function connectionsFrom(from: string, servers: TargetServer[]): string[] {
  return servers.map(({ target }) => `${from} -> ${endpoint(target.host, target.port)}`).sort()
}

describe('connectFromSamePort(local, targets)', () => {
  test('two targets, from a port the test chose: each server sees one connection from exactly that address and port, and the kernel shows both ESTAB', async () => {
    const servers = await targetServers(2)
    const local = { address: HOST, port: await freeTcpPort(HOST) }
    const from = endpoint(local.address, local.port)
    await connectAll(local, servers)
    expectList(
      await acceptedFrom(servers),
      [from, from],
      `where each target's server saw its connection come from, asked for ${from}: bind every socket to local.address and local.port (net.connect's localAddress, localPort) before it connects`,
    )
    const rows = await yourEstablishedConnections(2)
    if (rows) expectList(rows, connectionsFrom(from, servers), "your kata process's TCP sockets in the kernel (/proc/net/tcp), ESTAB: two connections, one local end, two remote ends")
  }, TEST_MS)

  test("port 0, three targets: the port the OS chose for the first connection is every connection's port, as the servers and the kernel see it", async () => {
    const servers = await targetServers(3)
    await connectAll({ address: HOST, port: 0 }, servers)
    const froms = await acceptedFrom(servers)
    const first = froms[0]!
    expect(first.endsWith(':0'), `where the first connection came from (${first}): port 0 asks the OS for a port`).toBe(false)
    expectList(
      froms,
      [first, first, first],
      `where each target's server saw its connection come from: with port 0, the first connection's port (${first}) is the OS's choice, ` +
        'and every other connection must reuse it. Read it once the first has connected (socket.localPort) and bind the others to it; ' +
        'connecting them all with port 0, or all at once, gives each a port of its own',
    )
    const rows = await yourEstablishedConnections(3)
    if (rows) expectList(rows, connectionsFrom(first, servers), "your kata process's TCP sockets in the kernel (/proc/net/tcp), ESTAB: three connections, one local end")
  }, TEST_MS)

  test('returns the sockets in the order of targets, even when targets[1] answers last: the bytes the test writes through the i-th socket reach targets[i]', async (context) => {
    requireKernelSocketTable(context) // the test lets the slow server go once the kernel shows your SYN waiting there
    const slow = await slowTarget()
    const [first, last] = await targetServers(2)
    const servers = [first!, slow, last!]
    const local = { address: HOST, port: await freeTcpPort(HOST) }
    const call = connectFromSamePort(
      local,
      servers.map((server) => server.target),
    )
    let settled = false // a call that settles early (it threw, say) is reported below, as it settled
    call.then(
      () => (settled = true),
      () => (settled = true),
    )
    try {
      let rows: string[] = []
      await untilSeen(
        KERNEL_MS,
        () =>
          `the kernel never showed your code trying to connect to targets[1] (${endpoint(HOST, slow.target.port)}), whose server drops the first SYN: ` +
          `your kata process held ${rows.length === 0 ? 'no TCP socket' : rows.join(', ')}`,
        async () => settled || (rows = await yourRows()).some((row) => row.endsWith(`:${slow.target.port} SYN-SENT`)),
      )
    } finally {
      slow.letGo()
    }
    const { outcome, sockets } = await outcomeOf(
      call,
      SLOW_CALL_MS,
      `connectFromSamePort() never settled, although every target listened: targets[1] answered only once the kernel sent its SYN again (${formatDuration(SYN_RETRY_MS)} after the first)`,
    )
    expect(outcome, `how connectFromSamePort() settled, every target listening (targets[1] slowly) ${OUTCOME_NOTE}`).toBe('resolved')
    expect(sockets, 'what connectFromSamePort() resolved with: an array of sockets, one per target').toHaveLength(servers.length)
    const notes = servers.map((_, i) => `socket ${i}`)
    for (const [i, socket] of sockets.entries()) await within(CONNECT_MS, `the test could not write through socket ${i}`, socket.write(notes[i]!))
    const arrived = () => servers.map((server) => server.accepted.map((connection) => connection.received.toString('latin1')).join(' + ') || 'nothing')
    await until(KERNEL_MS, 'not all arrived', () => !arrived().includes('nothing')).catch(() => {}) // what arrived is compared below
    expectList(
      arrived(),
      notes,
      'what each target received, in the order of targets, after the test wrote "socket i" through the i-th socket you returned: ' +
        'the i-th socket must be the connection to targets[i], whichever connected first',
    )
  }, SLOW_TEST_MS)

  test('a duplicate target (the same host and port twice): rejects with EADDRNOTAVAIL from connect, and closes the connection it had made', async () => {
    const [server] = await targetServers(1)
    const target = server!.target
    const { outcome } = await outcomeOf(
      connectFromSamePort({ address: HOST, port: 0 }, [target, target]),
      CALL_MS,
      `connectFromSamePort() never settled, connecting twice to ${endpoint(target.host, target.port)} from one port`,
    )
    expect(
      outcome,
      "the second connection would have had the first one's 4-tuple (same local and remote address and port): the kernel refuses it at connect(), " +
        `with EADDRNOTAVAIL (the bind succeeds: the port is shared by a connection, not held by a listener). connectFromSamePort() should reject with that error ${OUTCOME_NOTE}`,
    ).toBe('EADDRNOTAVAIL from connect')
    await expectNothingLeftOpen([server!], 'after a rejection, connectFromSamePort() should destroy every socket it opened')
  }, TEST_MS)

  test('a listener holds local.address:local.port: rejects with EADDRINUSE from bind, and no connection is made', async () => {
    const servers = await targetServers(2)
    const listener = await testServer(HOST) // the test's own, listening on the port your code is told to use
    const local = { address: HOST, port: listener.port }
    const { outcome } = await outcomeOf(
      connectFromSamePort(
        local,
        servers.map((server) => server.target),
      ),
      CALL_MS,
      `connectFromSamePort() never settled, connecting from ${endpoint(local.address, local.port)} (where a listener of the test's is) to ${targetList(servers)}`,
    )
    expect(
      outcome,
      `a listener holds ${endpoint(local.address, local.port)}: a bind there fails with EADDRINUSE, even with SO_REUSEADDR (which libuv sets). ` +
        `connectFromSamePort() should reject with that error, not pick another port ${OUTCOME_NOTE}`,
    ).toBe('EADDRINUSE from bind')
    await expectNothingLeftOpen(servers, 'after a rejection, connectFromSamePort() should destroy every socket it opened')
    expectList(
      servers.map((server) => String(server.accepted.length)),
      ['0', '0'],
      "connections each target's server accepted: the bind failed, so no connection should have been made, from anywhere",
    )
  }, TEST_MS)

  test('a target that refuses, after the first connected: rejects with ECONNREFUSED from connect, and closes the connections already made', async () => {
    const [first, last] = await targetServers(2)
    const refusing = await refusingTarget()
    const targets = [first!.target, refusing, last!.target]
    const { outcome } = await outcomeOf(
      connectFromSamePort({ address: HOST, port: 0 }, targets),
      CALL_MS,
      `connectFromSamePort() never settled, connecting to ${targets.map((t) => endpoint(t.host, t.port)).join(', ')}, the second of which refuses`,
    )
    expect(outcome, `nothing listens at targets[1] (${endpoint(refusing.host, refusing.port)}): connectFromSamePort() should reject with the connect error ${OUTCOME_NOTE}`).toBe(
      'ECONNREFUSED from connect',
    )
    await until(KERNEL_MS, "targets[0]'s server never accepted the first connection", () => first!.accepted.length > 0)
    await expectNothingLeftOpen([first!, last!], 'after a rejection, connectFromSamePort() should destroy every socket it opened')
  }, TEST_MS)

  test(`binds local.address: from ${OTHER_LOCAL}, a port the test chose, to servers on ${HOST}: every connection comes from exactly there`, async (context) => {
    await requireAddress(context, OTHER_LOCAL)
    const servers = await targetServers(2)
    const local = { address: OTHER_LOCAL, port: await freeTcpPort(OTHER_LOCAL) }
    const from = endpoint(local.address, local.port)
    await connectAll(local, servers)
    const froms = await acceptedFrom(servers)
    expectList(
      froms.map((from) => from.replace(/:\d+$/, '')),
      [OTHER_LOCAL, OTHER_LOCAL],
      `the address each target's server saw its connection come from: the kernel picks ${HOST} for a connection to ${HOST} unless the socket is bound first. ` +
        "Pass local.address as net.connect's localAddress, for every connection",
    )
    expectList(froms, [from, from], "where each target's server saw its connection come from")
    const rows = await yourEstablishedConnections(2)
    if (rows) expectList(rows, connectionsFrom(from, servers), "your kata process's TCP sockets in the kernel (/proc/net/tcp), ESTAB")
  }, TEST_MS)
})
