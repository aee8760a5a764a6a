/** The test's UDP end (a receiver that never replies), and a watch on the sockets code under test sends from. */
import dgram from 'node:dgram'
import net from 'node:net'
import { endpoint } from './addresses.ts'
import { closeAfterTest } from '../lifecycle/cleanup.ts'
import { openSockets } from '../open-sockets.ts'
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

export interface UdpSenderWatch {
  /** The UDP sockets that sent during the call. */
  senders: dgram.Socket[]
  /** Those of them still open at the moment the call settled, described. */
  openWhenSettled: string[]
  /** Whether any UDP socket listened for 'message' meanwhile: waiting for a reply. */
  listenedForReplies: boolean
}

const LISTENER_METHODS = ['on', 'addListener', 'prependListener', 'prependOnceListener'] as const

/**
 * Runs `body`, noting which UDP sockets send, which of them are still open when it settles, and
 * whether any listens for 'message' meanwhile (once() goes through on(), so it is seen too).
 * Patches dgram.Socket.prototype for the call only.
 */
export async function watchUdpSenders<T>(body: () => Promise<T>): Promise<UdpSenderWatch & { settled: PromiseSettledResult<T> }> {
  const proto = dgram.Socket.prototype as unknown as Record<string, (...args: unknown[]) => unknown>
  const originals = new Map(['send', ...LISTENER_METHODS].map((name) => [name, Object.getOwnPropertyDescriptor(proto, name)]))
  const watch: UdpSenderWatch = { senders: [], openWhenSettled: [], listenedForReplies: false }
  const send = proto.send!
  proto.send = function (this: dgram.Socket, ...args: unknown[]) {
    if (!watch.senders.includes(this)) watch.senders.push(this)
    return send.apply(this, args)
  }
  for (const name of LISTENER_METHODS) {
    const inherited = proto[name]!
    proto[name] = function (this: dgram.Socket, event: unknown, ...rest: unknown[]) {
      if (event === 'message') watch.listenedForReplies = true
      return inherited.call(this, event, ...rest)
    }
  }
  try {
    const noteWhatIsOpen = () => void (watch.openWhenSettled = stillOpen(watch.senders))
    const [settled] = await Promise.allSettled([body().finally(noteWhatIsOpen)])
    return { ...watch, settled: settled! }
  } finally {
    for (const [name, descriptor] of originals) {
      if (descriptor) Object.defineProperty(proto, name, descriptor)
      else delete proto[name]
    }
  }
}

function stillOpen(senders: dgram.Socket[]): string[] {
  const open = openSockets()
  return senders.filter((socket) => open.includes(socket)).map((socket) => {
    const { address, port } = socket.address()
    return `a UDP socket bound to ${endpoint(address, port)}`
  })
}
