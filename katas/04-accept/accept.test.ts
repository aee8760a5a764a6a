import type net from 'node:net'
import { describe, expect, test } from 'vitest'
import { kataUnderTest } from '#harness/kata-process/kata-under-test.ts'
import { listeningStateOf, RemoteServer, RemoteSocket } from '#harness/kata-process/remote.ts'
import { listenersOn, procNetUnavailable, socketsOfThisProcess } from '#harness/kernel/proc-net.ts'
import { requireAddress, requireKernelSocketTable } from '#harness/lifecycle/requirements.ts'
import { describeOutcome, outcome } from '#harness/lifecycle/outcome.ts'
import { sleep, until, within } from '#harness/lifecycle/within.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { connectedClient, receiveBytes } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./accept.ts')>(import.meta.url)
const { acceptOne } = kata.exports

const ACCEPT_MS = 2000
const BYTES_MS = 2000

type TestServer = RemoteServer & { readonly port: number }

/** A listening server of the test's, in your kata process: the server acceptOne() is given. */
async function testServerInKata(host: string): Promise<TestServer> {
  const server = await kata.createServer(host)
  return server as TestServer
}

/**
 * Calls acceptOne(server), then connects one client of the test's to it: returns both ends (closed
 * after the test). The client can connect from another loopback address (`localAddress`), and send
 * bytes as soon as it is connected, before acceptOne() has resolved (`sendAtOnce`).
 */
async function acceptNextClient(server: TestServer, options: { connectTo?: string; localAddress?: string; sendAtOnce?: string } = {}) {
  const { connectTo = server.facts.address && typeof server.facts.address === 'object' ? server.facts.address.address : '127.0.0.1', localAddress } = options
  const accepting = acceptOne(server)
  // The client connects once acceptOne() has returned: its listener is on the server by then.
  await within(ACCEPT_MS, 'acceptOne() never returned', accepting.hasReturned)
  const client = await connectedClient(connectTo, server.port, { localAddress })
  if (options.sendAtOnce !== undefined) client.write(options.sendAtOnce)
  const accepted = await within(ACCEPT_MS, `acceptOne() never resolved after a client connected to ${endpoint(connectTo, server.port)}`, accepting)
  expect(accepted?.socket, 'acceptOne() should resolve with { socket, remoteAddress, remotePort }, socket being the server end').toBeInstanceOf(
    RemoteSocket,
  )
  const { facts } = accepted.socket
  expect(facts.destroyed, 'the accepted socket should still be open when acceptOne() resolves').toBe(false)
  expect(facts.writableEnded, 'the accepted socket should be open for writing, not already ended (end() was called on it)').toBe(false)
  await expectServerEndOf(client, accepted.socket)
  return { client, accepted }
}

/** The wire's word that `socket` is the server end of the client's connection: a byte written through it reaches the client. */
async function expectServerEndOf(client: net.Socket, socket: RemoteSocket): Promise<void> {
  await socket.write('*').catch((error: Error) => {
    throw new Error(`writing on the socket acceptOne() resolved with failed: ${error.message}`)
  })
  const peer = socket.facts.remote ? endpoint(socket.facts.remote.address, socket.facts.remote.port) : 'unknown'
  const arrived = await receiveBytes(
    client,
    1,
    BYTES_MS,
    `a byte written on the socket acceptOne() resolved with never reached the client that just connected (${clientEnd(client)}); that socket's peer is ${peer}`,
  )
  expect(arrived.toString(), 'what the client received when the test wrote on the socket acceptOne() resolved with').toBe('*')
}

function clientEnd(client: net.Socket): string {
  return endpoint(client.localAddress!, client.localPort!)
}

/**
 * Until the bytes the client sent have left the kernel for your kata process: the client's kernel
 * holds none unacknowledged, and the server end's receive queue is empty. Without /proc/net, a pause.
 */
async function untilReadFromKernel(server: TestServer, client: net.Socket): Promise<void> {
  if (procNetUnavailable()) return sleep(100)
  const unacknowledged = () => socketsOfThisProcess('tcp', (socket) => socket.localPort === client.localPort)[0]?.sendQueue ?? 0
  const queuedAtServer = async () =>
    (await kata.sockets('tcp', (socket) => socket.localPort === server.port && socket.remotePort === client.localPort))[0]?.receiveQueue ?? 0
  await until(BYTES_MS, `the bytes the client sent never left the kernel for your kata process`, async () => unacknowledged() === 0 && (await queuedAtServer()) === 0)
}

describe('acceptOne(server)', () => {
  test("reports the client's address and port: the client's own end of the connection", async () => {
    const server = await testServerInKata('127.0.0.1')
    const { client, accepted } = await acceptNextClient(server)
    const reported = endpoint(accepted.remoteAddress, accepted.remotePort)
    const mixUp = accepted.remotePort === server.port ? ` (${server.port} is the server's own port, not the client's)` : ''
    expect(reported, `acceptOne() reported the peer as ${reported}${mixUp}, but the client connected from ${clientEnd(client)}`).toBe(
      clientEnd(client),
    )
  })

  test('reports the address the client connected from, not an address of the server', async (context) => {
    await requireAddress(context, '127.0.0.2')
    const server = await testServerInKata('0.0.0.0')
    const { accepted } = await acceptNextClient(server, { connectTo: '127.0.0.1', localAddress: '127.0.0.2' })
    expect(
      accepted.remoteAddress,
      `a client connected from 127.0.0.2 to the server's 127.0.0.1; acceptOne() reported the peer address as ${accepted.remoteAddress}`,
    ).toBe('127.0.0.2')
  })

  test('over IPv6 too: a client of [::1] is reported as ::1', async (context) => {
    await requireAddress(context, '::1')
    const server = await testServerInKata('::1')
    const { client, accepted } = await acceptNextClient(server, { connectTo: '::1' })
    expect(endpoint(accepted.remoteAddress, accepted.remotePort), 'the peer acceptOne() reported for a client of the IPv6 loopback').toBe(
      clientEnd(client),
    )
  })

  test('resolves with the server end of that very connection: bytes flow both ways', async () => {
    const server = await testServerInKata('127.0.0.1')
    const { client, accepted } = await acceptNextClient(server)
    const { socket } = accepted
    const receiving = socket.read(5, BYTES_MS)
    client.write('ping\n')
    const atServer = await receiving.catch((error: Error) => {
      throw new Error(`the accepted socket never received the 5 bytes the client sent: ${error.message}`)
    })
    expect(atServer.toString(), 'bytes the client sent, as the accepted socket received them').toBe('ping\n')
    await socket.write('pong\n')
    const atClient = await receiveBytes(client, 5, BYTES_MS, 'the client never received the 5 bytes written to the accepted socket')
    expect(atClient.toString(), 'bytes written to the accepted socket, as the client received them').toBe('pong\n')
  })

  test('hands the socket over untouched: what the client sent at once is still there to read, and no idle timeout is set', async () => {
    const server = await testServerInKata('127.0.0.1')
    const greeting = 'hello\n'
    const { client, accepted } = await acceptNextClient(server, { sendAtOnce: greeting })
    const { socket } = accepted
    expect(
      socket.facts.timeoutMs,
      `the accepted socket had an idle timeout of ${socket.facts.timeoutMs} ms set (socket.setTimeout): the socket is the caller's now, and so are its timers`,
    ).toBe(null)
    await untilReadFromKernel(server, client)
    const atServer = await socket.read(greeting.length, BYTES_MS).catch((error: Error) => {
      throw new Error(
        `bytes the client sent straight after connecting never reached the caller (${error.message}): your kata process had already ` +
          "taken them from the kernel. A 'data' listener of yours (a debugging log, say) consumes what it is given; leave the reading to the caller",
      )
    })
    expect(atServer.toString(), 'bytes the client sent straight after connecting, as the caller read them from the accepted socket').toBe(greeting)
  })

  test('leaves the server listening: the next client is accepted too', async () => {
    const server = await testServerInKata('127.0.0.1')
    await acceptNextClient(server)
    const facts = await server.refresh()
    expect(listeningStateOf(facts), 'after acceptOne(), the server should still be listening').toBe(`listening on ${endpoint('127.0.0.1', server.port)}`)
    const { client, accepted } = await acceptNextClient(server)
    expect(accepted.remotePort, 'the second acceptOne() should report the second client').toBe(client.localPort)
  })

  test("two clients give two sockets on the server's one port, told apart by the client's port", async () => {
    const server = await testServerInKata('127.0.0.1')
    const first = await acceptNextClient(server)
    const second = await acceptNextClient(server)
    const pairs = [first, second].map(({ accepted }) => `${accepted.socket.facts.local?.port} <-> ${accepted.socket.facts.remote?.port}`)
    expect(pairs, 'each accepted socket: local port <-> peer port').toEqual([
      `${server.port} <-> ${first.client.localPort}`,
      `${server.port} <-> ${second.client.localPort}`,
    ])
    expect(first.accepted.socket.id, 'two clients must give two different sockets').not.toBe(second.accepted.socket.id)
  })

  test('the kernel shows one ESTAB socket per client on the server port', async (context) => {
    requireKernelSocketTable(context)
    const server = await testServerInKata('127.0.0.1')
    const clients = [await acceptNextClient(server), await acceptNextClient(server)].map(({ client }) => client.localPort!)
    const serverEnds = (await kata.sockets('tcp', (socket) => socket.state === 'ESTAB' && socket.localPort === server.port))
      .map((socket) => socket.remotePort)
      .sort((a, b) => a - b)
    expect(serverEnds, `peer ports of your kata process's ESTAB sockets on server port ${server.port}, as /proc/net/tcp shows them`).toEqual(
      clients.sort((a, b) => a - b),
    )
    expect(listenersOn(kata.socketOwner(), server.port), 'the server still listens, as the kernel shows it').toEqual([
      endpoint('127.0.0.1', server.port),
    ])
  })

  test('leaves no listener behind on the server once it has resolved', async () => {
    const server = await testServerInKata('127.0.0.1')
    const before = listeners(await server.refresh())
    await acceptNextClient(server)
    await acceptNextClient(server)
    expect(
      listeners(await server.refresh()),
      "listeners on the server after two acceptOne() calls, compared with before: each call should remove every listener it added once it has its client",
    ).toEqual(before)
  })

  test('a failed accept while it waits (EMFILE, the server out of descriptors): it rejects with that error, leaving no listener behind', async () => {
    const server = await testServerInKata('127.0.0.1')
    const before = listeners(await server.refresh())
    const accepting = acceptOne(server)
    await within(ACCEPT_MS, 'acceptOne() never returned', accepting.hasReturned)
    await server.failAccept()
    const result = await outcome(ACCEPT_MS, 'acceptOne() never settled after the server reported a failed accept (EMFILE)', accepting)
    expect(
      result.resolved ? undefined : result.error.code,
      `while acceptOne() waited, the server reported 'error' (accept EMFILE): it should reject with that error; it ${describeOutcome(result)}`,
    ).toBe('EMFILE')
    expect(
      listeners(await server.refresh()),
      'listeners on the server after acceptOne() rejected, compared with before: remove every listener you added, on failure too',
    ).toEqual(before)
  })
})

function listeners(facts: RemoteServer['facts']): { connection: number; error: number } {
  return { connection: facts.listeners.connection ?? 0, error: facts.listeners.error ?? 0 }
}
