/**
 * Fills a listener's accept queue while the process that owns it is frozen (SIGSTOP), so nothing
 * accepts: the handshakes happen in the kernel alone. The clients are the test's own; the test's
 * event loop runs on, watching them connect and reading the listener's queue (ss) until the picture
 * is final. That needs no timing guess: a client still connecting while the listener's queue has room
 * is on its way; once the queue is full, a client still connecting stays in SYN-SENT until its SYN is
 * retried a second later.
 */
import net from 'node:net'
import { closeAfterTest } from '../lifecycle/cleanup.ts'
import { listenersOnPort } from '../kernel/ss.ts'
import { DeadlineError, sleep } from '../lifecycle/within.ts'

const GIVE_UP_MS = 5000

export interface Freezable {
  freeze(): Promise<void>
  thaw(): Promise<void>
}

export interface HandshakesWhileFrozen {
  /** Clients whose handshake the kernel completed ('connect') while nothing accepted. */
  completed: number
  /** Clients whose SYN the kernel dropped: still connecting (in SYN-SENT), waiting to retry. */
  waiting: number
  /** Connections in the listener's accept queue (Recv-Q of its LISTEN socket). */
  queued: number
  /** The accept queue's size as the kernel applied it (ss Send-Q). */
  backlog: number
}

/**
 * Freezes `owner`, connects `clients` clients to host:port, and returns what the kernel shows once
 * nothing more can change. The owner stays frozen until the test thaws it (or the test ends); the
 * clients stay open until the test ends. Needs Linux's /proc/net and ss (see requireSs).
 */
export async function connectWhileFrozen(owner: Freezable, host: string, port: number, clients: number): Promise<HandshakesWhileFrozen> {
  const [listener] = listenersOnPort(port)
  if (!listener) throw new Error(`nothing listens on port ${port}, so no client can queue there`)
  await owner.freeze()
  const sockets = Array.from({ length: clients }, () => closeAfterTest(net.connect({ host, port }).on('error', () => {})))
  const connected = new Set<net.Socket>()
  for (const socket of sockets) socket.once('connect', () => connected.add(socket))
  const giveUpAt = performance.now() + GIVE_UP_MS
  for (;;) {
    const queued = listenersOnPort(port)[0]?.waiting ?? 0
    const failed = sockets.filter((socket) => socket.destroyed && !connected.has(socket)).length
    const seen = { completed: connected.size, waiting: clients - connected.size - failed, queued, backlog: listener.backlog }
    const queueFull = seen.queued > seen.backlog
    if (failed === 0 && seen.completed === seen.queued && (seen.waiting === 0 || queueFull)) return seen
    if (performance.now() > giveUpAt) {
      throw new DeadlineError(
        `${clients} clients were still connecting after ${GIVE_UP_MS} ms ` +
          `(${seen.completed} connected, ${seen.waiting} still connecting, ${failed} failed, ${seen.queued} queued)`,
      )
    }
    await sleep(2)
  }
}
