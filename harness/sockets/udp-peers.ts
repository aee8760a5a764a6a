/** The test's UDP end: a receiver that never replies. */
import dgram from 'node:dgram'
import net from 'node:net'
import { closeAfterTest } from '../lifecycle/cleanup.ts'
import { procNetUnavailable, socketsOfThisProcess } from '../kernel/proc-net.ts'
import { nextEvent, sleep, until } from '../lifecycle/within.ts'

export interface UdpReceiver {
  port: number
  /** Waits for the first datagram, then until nothing more is queued for it: every datagram sent by then. */
  everythingSent(ms: number, whatDidNotHappen: string): Promise<Buffer[]>
}

/** A UDP socket bound to `host` port 0 that records what it receives and never replies. */
export async function udpReceiver(host: string): Promise<UdpReceiver> {
  const socket = closeAfterTest(dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4'))
  const datagrams: Buffer[] = []
  socket.on('message', (datagram) => datagrams.push(datagram))
  socket.bind(0, host)
  await nextEvent(socket, 'listening', 2000, `the test's UDP receiver never bound to ${host}`)
  const port = socket.address().port
  return {
    port,
    async everythingSent(ms, whatDidNotHappen) {
      await until(ms, whatDidNotHappen, () => datagrams.length > 0)
      await drained(port)
      return datagrams
    },
  }
}

/** Until the kernel holds nothing more for the receiver (Linux), then one more turn of the event loop. */
async function drained(port: number): Promise<void> {
  if (procNetUnavailable()) return sleep(50)
  const queued = () => socketsOfThisProcess('udp', (socket) => socket.localPort === port)[0]?.receiveQueue ?? 0
  await until(1000, `datagrams queued for the receiver on port ${port} were never read`, () => queued() === 0)
  await new Promise((resolve) => setImmediate(resolve))
}
