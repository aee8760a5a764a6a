/**
 * A peer that never accepts: a listener (backlog 1) in a worker thread frozen in Atomics.wait, with
 * its accept queue already full. The kernel drops every further SYN to it without a reply, so a
 * connect there neither succeeds nor is refused: it waits, as it would for a host that is down.
 */
import { Worker } from 'node:worker_threads'
import { closeAfterTest } from './cleanup.ts'
import { connectedClient } from './tcp-peers.ts'
import { nextEvent } from './within.ts'

const FROZEN_LISTENER = `
const net = require('node:net')
const { parentPort, workerData } = require('node:worker_threads')
const server = net.createServer()
server.listen({ host: workerData.host, port: 0, backlog: 1 }, () => {
  parentPort.postMessage(server.address().port)
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0) // frozen until terminated
})
`

/** Backlog 1: the kernel completes backlog + 1 handshakes before the queue counts as full. */
const CONNECTIONS_THAT_FILL_THE_QUEUE = 2

export async function listenerWithFullAcceptQueue(host: string): Promise<{ port: number }> {
  const worker = closeAfterTest(new Worker(FROZEN_LISTENER, { eval: true, workerData: { host } }))
  const [port] = await nextEvent<[number]>(worker, 'message', 2000, 'the frozen helper listener never started')
  for (let i = 0; i < CONNECTIONS_THAT_FILL_THE_QUEUE; i++) await connectedClient(host, port)
  return { port }
}
