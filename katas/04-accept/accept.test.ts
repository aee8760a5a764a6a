import net from 'node:net'
import { describe, expect, test } from 'vitest'
import { acceptOne, type Accepted } from './accept.ts'
import { endpoint, listeningState } from '#harness/sockets/addresses.ts'
import { closeAfterTest } from '#harness/lifecycle/cleanup.ts'
import { socketsOfThisProcess } from '#harness/kernel/proc-net.ts'
import { requireAddress, requireKernelSocketTable } from '#harness/lifecycle/requirements.ts'
import { connectedClient, receiveBytes, testServer } from '#harness/sockets/tcp-peers.ts'
import { within } from '#harness/lifecycle/within.ts'

const ACCEPT_MS = 2000
const BYTES_MS = 2000

type TestServer = net.Server & { port: number }

/**
 * Calls acceptOne(server), then connects one client of the test's to it: returns both ends,
 * closed after the test. The client can connect from another loopback address (`localAddress`).
 */
async function acceptNextClient(
  server: TestServer,
  options: { connectTo?: string; localAddress?: string } = {},
): Promise<{ client: net.Socket; accepted: Accepted }> {
  const { connectTo = '127.0.0.1', localAddress } = options
  const accepting = acceptOne(server)
  const client = await connectedClient(connectTo, server.port, { localAddress })
  const accepted = await within(
    ACCEPT_MS,
    `acceptOne() never resolved after a client connected to ${endpoint(connectTo, server.port)}`,
    accepting,
  )
  if (accepted?.socket) closeAfterTest(accepted.socket)
  expect(accepted?.socket, 'acceptOne() should resolve with { socket, remoteAddress, remotePort }, socket being the server end')
    .toBeInstanceOf(net.Socket)
  return { client, accepted }
}

function clientEnd(client: net.Socket): string {
  return endpoint(client.localAddress!, client.localPort!)
}

describe('acceptOne(server)', () => {
  test("reports the client's address and port: the client's own end of the connection", async () => {
    const server = await testServer('127.0.0.1')
    const { client, accepted } = await acceptNextClient(server)
    const reported = endpoint(accepted.remoteAddress, accepted.remotePort)
    const mixUp = accepted.remotePort === server.port ? ` (${server.port} is the server's own port, not the client's)` : ''
    expect(reported, `acceptOne() reported the peer as ${reported}${mixUp}, but the client connected from ${clientEnd(client)}`)
      .toBe(clientEnd(client))
  })

  test('reports the address the client connected from, not an address of the server', async (context) => {
    await requireAddress(context, '127.0.0.2')
    const server = await testServer('0.0.0.0')
    const { accepted } = await acceptNextClient(server, { connectTo: '127.0.0.1', localAddress: '127.0.0.2' })
    expect(
      accepted.remoteAddress,
      `a client connected from 127.0.0.2 to the server's 127.0.0.1; acceptOne() reported the peer address as ${accepted.remoteAddress}`,
    ).toBe('127.0.0.2')
  })

  test('resolves with the server end of the connection, which carries bytes both ways', async () => {
    const server = await testServer('127.0.0.1')
    const { client, accepted } = await acceptNextClient(server)
    const socket = accepted.socket
    expect(
      { local: socket.localPort, remote: socket.remotePort },
      "the socket should be the server's end: local port = the server's port, remote port = the client's",
    ).toEqual({ local: server.port, remote: client.localPort })

    expect(socket.writable, 'the accepted socket should be open for writing, not already ended or destroyed').toBe(true)
    client.write('ping\n')
    const atServer = await receiveBytes(socket, 5, BYTES_MS, 'the accepted socket never received the 5 bytes the client sent')
    expect(atServer.toString(), 'bytes the client sent, as the accepted socket received them').toBe('ping\n')
    socket.write('pong\n')
    const atClient = await receiveBytes(client, 5, BYTES_MS, 'the client never received the 5 bytes written to the accepted socket')
    expect(atClient.toString(), 'bytes written to the accepted socket, as the client received them').toBe('pong\n')
  })

  test('leaves the server listening: the next client is accepted too', async () => {
    const server = await testServer('127.0.0.1')
    await acceptNextClient(server)
    expect(listeningState(server), 'after acceptOne(), the server should still be listening').toBe(
      `listening on ${endpoint('127.0.0.1', server.port)}`,
    )
    const { client, accepted } = await acceptNextClient(server)
    expect(accepted.remotePort, 'the second acceptOne() should report the second client').toBe(client.localPort)
  })

  test("two clients give two sockets on the server's one port, told apart by the client's port", async () => {
    const server = await testServer('127.0.0.1')
    const first = await acceptNextClient(server)
    const second = await acceptNextClient(server)
    const pairs = [first, second].map(({ accepted }) => `${accepted.socket.localPort} <-> ${accepted.remotePort}`)
    expect(pairs, 'each accepted socket: local port <-> peer port').toEqual([
      `${server.port} <-> ${first.client.localPort}`,
      `${server.port} <-> ${second.client.localPort}`,
    ])
    expect(first.accepted.socket, 'two clients must give two different sockets').not.toBe(second.accepted.socket)
  })

  test('the kernel shows one ESTAB socket per client on the server port', async (context) => {
    requireKernelSocketTable(context)
    const server = await testServer('127.0.0.1')
    const clients = [await acceptNextClient(server), await acceptNextClient(server)].map(({ client }) => client.localPort!)
    const serverEnds = socketsOfThisProcess('tcp', (socket) => socket.state === 'ESTAB' && socket.localPort === server.port)
      .map((socket) => socket.remotePort)
      .sort((a, b) => a - b)
    expect(serverEnds, `peer ports of the ESTAB sockets on server port ${server.port}, as /proc/net/tcp shows them`)
      .toEqual(clients.sort((a, b) => a - b))
  })

  test("leaves no listener behind on the server once it has resolved", async () => {
    const server = await testServer('127.0.0.1')
    const listeners = () => ({ connection: server.listenerCount('connection'), error: server.listenerCount('error') })
    const before = listeners()
    await acceptNextClient(server)
    await acceptNextClient(server)
    expect(
      listeners(),
      "listeners on the server after two acceptOne() calls, compared with before: each call should remove every listener it added once it has its client",
    ).toEqual(before)
  })
})
