/** The test's own TCP ends: servers on port 0 and clients, bounded and closed after the test. */
import net from 'node:net'
import { expect } from 'vitest'
import { endpoint } from './addresses.ts'
import { closeAfterTest } from '../lifecycle/cleanup.ts'
import { DeadlineError, nextEvent, within } from '../lifecycle/within.ts'

const CONNECT_MS = 2000

/** A server of the test's own, listening on `host` port 0; it and its connections are closed after the test. */
export async function testServer(
  host: string,
  options: net.ListenOptions = {},
  serverOptions: net.ServerOpts = {},
): Promise<net.Server & { port: number }> {
  const server = closeAfterTest(net.createServer(serverOptions, (socket) => closeAfterTest(socket.on('error', () => {}))))
  server.listen({ ...options, host, port: 0 })
  await nextEvent(server, 'listening', CONNECT_MS, `the test's own server never started listening on ${host}`)
  return Object.assign(server, { port: (server.address() as net.AddressInfo).port })
}

/** A client connected to host:port (closed after the test); fails if the handshake does not finish. */
export async function connectedClient(
  host: string,
  port: number,
  options: { localAddress?: string } = {},
): Promise<net.Socket> {
  const client = closeAfterTest(net.connect({ host, port, ...options }))
  const to = endpoint(host, port)
  try {
    await nextEvent(client, 'connect', CONNECT_MS, `a test client never connected to ${to}`)
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException
    if (!code) throw error
    const why = code === 'ECONNREFUSED' ? ': nothing listens there (any more)' : ''
    throw new Error(`a test client could not connect to ${to}: ${code}${why}`)
  }
  return client
}

/** The next connection `server` accepts, bounded. */
export async function nextConnection(server: net.Server, ms: number, whatDidNotHappen: string): Promise<net.Socket> {
  const [socket] = await nextEvent<[net.Socket]>(server, 'connection', ms, whatDidNotHappen)
  return socket
}

/** Tries to connect to host:port: 'connected', or the error code the kernel answered with. */
export async function connectionAttempt(host: string, port: number): Promise<string> {
  const client = closeAfterTest(net.connect({ host, port }))
  try {
    await nextEvent(client, 'connect', CONNECT_MS, `a connection to ${endpoint(host, port)} neither succeeded nor failed`)
    return 'connected'
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message
  }
}

/**
 * Fails the test unless a client of the test's connects to host:port: the wire's word that what the
 * kata process says listens there really does (what it says about its own objects is its word only).
 */
export async function expectConnectable(host: string, port: number, what: string): Promise<void> {
  const attempt = await connectionAttempt(host, port)
  expect(attempt, `${what}, yet a client connecting to ${endpoint(host, port)} got ${attempt}`).toBe('connected')
}

/** The next `byteCount` bytes `socket` receives (however TCP splits them), bounded. */
export function receiveBytes(socket: net.Socket, byteCount: number, ms: number, whatDidNotHappen: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  let received = 0
  let stop = () => {}
  const arrived = new Promise<Buffer>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      received += chunk.length
      if (received < byteCount) return
      const all = Buffer.concat(chunks)
      if (all.length > byteCount) socket.unshift(all.subarray(byteCount)) // the next reader's
      resolve(all.subarray(0, byteCount))
    }
    const onEnd = () => reject(new Error(`${whatDidNotHappen}: the other end closed the connection after ${received} bytes`))
    socket.on('data', onData).once('end', onEnd).once('error', reject)
    socket.resume() // a 'data' listener does not restart a stream an earlier reader paused
    // Paused again afterwards, so that what arrives next waits for the next reader instead of going to no one.
    stop = () => void socket.off('data', onData).off('end', onEnd).off('error', reject).pause()
  })
  return within(ms, whatDidNotHappen, arrived)
    .catch((error: Error) => {
      if (!(error instanceof DeadlineError)) throw error
      const got = Buffer.concat(chunks)
      throw new DeadlineError(`${error.message}; ${got.length === 0 ? 'nothing arrived' : `${got.length} bytes arrived: ${bytesPreview(got)}`}`)
    })
    .finally(stop)
}

/** Bytes as a learner can read them: quoted text when printable, hex otherwise; the first 64 only. */
export function bytesPreview(bytes: Buffer): string {
  const shown = bytes.subarray(0, 64)
  const more = bytes.length > shown.length ? ` … (${bytes.length - shown.length} more)` : ''
  const printable = [...shown].every((byte) => byte === 0x0a || byte === 0x0d || byte === 0x09 || (byte >= 0x20 && byte < 0x7f))
  return (printable ? JSON.stringify(shown.toString('latin1')) : shown.toString('hex').replace(/(..)(?!$)/g, '$1 ')) + more
}
