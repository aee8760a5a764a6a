import dgram from 'node:dgram'
import net from 'node:net'
import { expect, test } from 'vitest'
import { describeOpenSocket, forceClose, openSockets } from './open-sockets.ts'
import { nextEvent } from './lifecycle/within.ts'

test('sees a listening server, both ends of a connection and a bound UDP socket, described by address', async () => {
  const before = new Set(openSockets())
  const server = net.createServer().listen(0, '127.0.0.1')
  await nextEvent(server, 'listening', 1000, 'no listening')
  const { port } = server.address() as net.AddressInfo
  const accepted = nextEvent<[net.Socket]>(server, 'connection', 1000, 'no connection')
  const client = net.connect(port, '127.0.0.1')
  await nextEvent(client, 'connect', 1000, 'no connect')
  await accepted
  const udp = dgram.createSocket('udp4').bind(0, '127.0.0.1')
  await nextEvent(udp, 'listening', 1000, 'no udp')

  const seen = openSockets().filter((socket) => !before.has(socket)).map(describeOpenSocket).sort()
  expect(seen).toEqual(
    [
      `a TCP server listening on 127.0.0.1:${port}`,
      `a TCP connection from 127.0.0.1:${client.localPort} to 127.0.0.1:${port}`,
      `a TCP connection accepted on 127.0.0.1:${port} from 127.0.0.1:${client.localPort}`,
      `a UDP socket bound to 127.0.0.1:${udp.address().port}`,
    ].sort(),
  )

  openSockets().filter((socket) => !before.has(socket)).forEach(forceClose)
  expect(openSockets().filter((socket) => !before.has(socket)), 'closing ones no longer count as open').toEqual([])
})

test('a UDP socket that was never bound is still an open socket', () => {
  const udp = dgram.createSocket('udp4')
  try {
    expect(openSockets().filter((socket) => socket === udp).map(describeOpenSocket)).toEqual([
      'a UDP socket (created, never bound)',
    ])
  } finally {
    udp.close()
  }
})
