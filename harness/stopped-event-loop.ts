/**
 * Connects clients to a server of this thread while this thread's event loop is stopped, so the
 * server cannot accept: the handshakes happen in the kernel alone, and the accept queue fills.
 *
 * The clients live in a worker thread. This thread never returns to its event loop meanwhile: it
 * sleeps in Atomics.wait and reads the kernel's socket table between naps, until the picture is
 * final. That needs no timing guess: a client in SYN-SENT while the listener's queue has room is
 * still on its way; once the queue is full, a client in SYN-SENT stays there until its SYN is
 * retried a second later.
 */
import { Worker } from 'node:worker_threads'
import { closeAfterTest } from './lifecycle/cleanup.ts'
import { socketsOfThisProcess } from './kernel/proc-net.ts'
import { listenersOnPort } from './kernel/ss.ts'
import { DeadlineError } from './lifecycle/within.ts'

const CONNECTING_CLIENTS = `
const net = require('node:net')
const { host, port, clients } = require('node:worker_threads').workerData
for (let i = 0; i < clients; i++) net.connect({ host, port }).on('error', () => {})
`

const NAP_MS = 5
const GIVE_UP_MS = 5000

export interface HandshakesWhileStopped {
  /** Clients whose handshake the kernel completed (ESTAB) while nothing accepted. */
  completed: number
  /** Clients whose SYN the kernel dropped: in SYN-SENT, waiting to retry. */
  waiting: number
  /** Connections in the listener's accept queue (Recv-Q of its LISTEN socket). */
  queued: number
  /** The accept queue's size as the kernel applied it (ss Send-Q). */
  backlog: number
}

/**
 * Stops this thread's event loop while `clients` clients connect to host:port, and returns what the
 * kernel shows once nothing more can change. The clients stay open until the test ends.
 * Needs Linux's /proc/net and ss (see requireSs).
 */
export function connectWhileEventLoopStopped(host: string, port: number, clients: number): HandshakesWhileStopped {
  const [listener] = listenersOnPort(port)
  if (!listener) throw new Error(`nothing listens on port ${port}, so no client can queue there`)
  closeAfterTest(new Worker(CONNECTING_CLIENTS, { eval: true, workerData: { host, port, clients } }))

  const nap = new Int32Array(new SharedArrayBuffer(4))
  const giveUpAt = performance.now() + GIVE_UP_MS
  for (;;) {
    Atomics.wait(nap, 0, 0, NAP_MS) // sleeps without running the event loop
    const seen = kernelView(port, listener.backlog)
    const allThere = seen.completed + seen.waiting === clients
    const queueFull = seen.queued > seen.backlog
    if (allThere && (seen.waiting === 0 || queueFull)) return seen
    if (performance.now() > giveUpAt) {
      throw new DeadlineError(
        `${clients} clients were still connecting after ${GIVE_UP_MS} ms ` +
          `(${seen.completed} ESTAB, ${seen.waiting} SYN-SENT, ${seen.queued} queued)`,
      )
    }
  }
}

function kernelView(port: number, backlog: number): HandshakesWhileStopped {
  const sockets = socketsOfThisProcess('tcp', (socket) => socket.remotePort === port || socket.localPort === port)
  const clientEnds = sockets.filter((socket) => socket.remotePort === port)
  const listening = sockets.find((socket) => socket.state === 'LISTEN' && socket.localPort === port)
  return {
    completed: clientEnds.filter((socket) => socket.state === 'ESTAB').length,
    waiting: clientEnds.filter((socket) => socket.state === 'SYN-SENT').length,
    queued: listening?.receiveQueue ?? 0,
    backlog,
  }
}
