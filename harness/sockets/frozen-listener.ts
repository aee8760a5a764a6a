/**
 * A peer that never accepts: a listener (backlog 1) in a worker thread frozen in Atomics.wait, with
 * its accept queue already full. The kernel drops every further SYN to it without a reply, so a
 * connect there neither succeeds nor is refused: it waits, as it would for a host that is down.
 */
import net from 'node:net'
import { Worker } from 'node:worker_threads'
import { closeAfterFile } from '../lifecycle/cleanup.ts'
import { nextEvent } from '../lifecycle/within.ts'

const FROZEN_LISTENER = `
const net = require('node:net')
const { parentPort, workerData } = require('node:worker_threads')
const server = net.createServer()
server.listen({ host: workerData.host, port: workerData.port ?? 0, backlog: 1 }, () => {
  parentPort.postMessage(server.address().port)
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0) // frozen until terminated
})
`

/** Backlog 1: Linux completes exactly backlog + 1 handshakes before the queue counts as full. */
const LINUX_FULL_QUEUE = 2
/** Elsewhere (macOS queues about 1.5 x backlog) keep connecting until a handshake no longer completes. */
const PROBE_MS = 250
const CONNECT_MS = 2000
const MAX_CLIENTS = 10

const listeners = new Map<string, Promise<{ port: number }>>()

/** One per host for the tests of a file: once full, its queue stays full, so the tests can share it. */
export function listenerWithFullAcceptQueue(host: string): Promise<{ port: number }> {
  let listener = listeners.get(host)
  if (!listener) {
    listener = startFrozenListener(host)
    listeners.set(host, listener)
    closeAfterFile(() => listeners.delete(host))
  }
  return listener
}

/** A client that stays connected for the tests of the file (a test ending must not close it halfway through connecting). */
async function queueFillingClient(host: string, port: number, ms: number, whatDidNotHappen: string): Promise<void> {
  const client = closeAfterFile(net.connect({ host, port }))
  try {
    await nextEvent(client, 'connect', ms, whatDidNotHappen)
  } catch (error) {
    client.destroy()
    throw error
  }
}

/**
 * A frozen listener of its own on host:port (port 0: any), for the tests that need several on one port
 * (a name's addresses share the port asked for: kata 13). Not shared, unlike listenerWithFullAcceptQueue;
 * closed after the test file. Rejects with the listen's error (EADDRINUSE) when the port is taken there.
 */
export function frozenListenerAt(host: string, port: number): Promise<{ port: number }> {
  return startFrozenListener(host, port)
}

async function startFrozenListener(host: string, atPort = 0): Promise<{ port: number }> {
  const worker = closeAfterFile(new Worker(FROZEN_LISTENER, { eval: true, workerData: { host, port: atPort } }))
  const [port] = await nextEvent<[number]>(worker, 'message', 2000, 'the frozen helper listener never started')
  if (process.platform === 'linux') {
    for (let i = 0; i < LINUX_FULL_QUEUE; i++) await queueFillingClient(host, port, CONNECT_MS, `a client filling the frozen helper listener's queue never connected`)
    return { port }
  }
  for (let i = 0; i < MAX_CLIENTS; i++) {
    if (!(await queueFillingClient(host, port, PROBE_MS, 'no handshake').then(() => true, () => false))) return { port }
  }
  throw new Error(`the frozen helper listener accepted ${MAX_CLIENTS} handshakes without its queue filling up`)
}
