import net from 'node:net'
import { describe, expect, test } from 'vitest'
import { tryConnect, type ConnectResult } from './refused.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { closeAfterTest } from '#harness/lifecycle/cleanup.ts'
import { listenerWithFullAcceptQueue } from '#harness/sockets/frozen-listener.ts'
import { describeValue } from '#harness/lifecycle/outcome.ts'
import { freeTcpPort } from '#harness/sockets/ports.ts'
import { socketsOfThisProcess } from '#harness/kernel/proc-net.ts'
import { requireKernelSocketTable } from '#harness/lifecycle/requirements.ts'
import { nextConnection, receiveBytes, testServer } from '#harness/sockets/tcp-peers.ts'
import { DeadlineError, formatDuration, sleep, within } from '#harness/lifecycle/within.ts'

/** How much later than timeoutMs a timeout may be reported: "about timeoutMs", not minutes. */
const LATE_MS = 2000

/**
 * tryConnect(host, port, timeoutMs), bounded by `boundMs`; a returned socket is closed after the test.
 * A rejection fails the test: network trouble is reported in the result, never thrown.
 */
async function attempt(host: string, port: number, timeoutMs: number, boundMs: number, whatDidNotHappen: string) {
  const started = performance.now()
  const pending = tryConnect(host, port, timeoutMs)
  let result: ConnectResult
  try {
    result = await within(boundMs, whatDidNotHappen, pending)
  } catch (error) {
    if (error instanceof DeadlineError) throw error
    const { code, message } = error as NodeJS.ErrnoException
    throw new Error(
      `tryConnect() rejected with ${code ?? message}: network trouble must be reported, not thrown; ` +
        `resolve with { ok: false, code: '${code ?? 'ECONNREFUSED'}' }`,
    )
  }
  if (result?.ok && result.socket instanceof net.Socket) closeAfterTest(result.socket)
  return { result, elapsedMs: performance.now() - started }
}

describe('tryConnect(host, port, timeoutMs)', () => {
  test("a port where nothing listens: resolves with { ok: false, code: 'ECONNREFUSED' } at once", async () => {
    const port = await freeTcpPort('127.0.0.1')
    const { result } = await attempt(
      '127.0.0.1',
      port,
      10_000,
      LATE_MS,
      `tryConnect() to ${endpoint('127.0.0.1', port)}, where nothing listens, did not settle (the kernel refuses at once with an RST)`,
    )
    expect(result, `connecting to ${endpoint('127.0.0.1', port)}, where nothing listens, resolved with ${describeValue(result)}`)
      .toEqual({ ok: false, code: 'ECONNREFUSED' })
  })

  test('a port where a server listens: resolves with { ok: true, socket }, connected to it', async () => {
    const server = await testServer('127.0.0.1')
    const accepted = nextConnection(server, LATE_MS, 'the server never saw the connection')
    const { result } = await attempt('127.0.0.1', server.port, 5000, LATE_MS, 'tryConnect() to a listening server did not settle')
    expect(result.ok, `connecting to a listening server resolved with ${describeValue(result)}`).toBe(true)
    const { socket } = result as Extract<ConnectResult, { ok: true }>
    expect(socket, '{ ok: true } should come with the connected net.Socket').toBeInstanceOf(net.Socket)
    expect(
      { connecting: socket.connecting, destroyed: socket.destroyed, remotePort: socket.remotePort },
      'the socket should be connected to the server when tryConnect() resolves',
    ).toEqual({ connecting: false, destroyed: false, remotePort: server.port })
    await accepted
  })

  test('the socket it connected stays open after timeoutMs has passed', async () => {
    const server = await testServer('127.0.0.1')
    const accepted = nextConnection(server, LATE_MS, 'the server never saw the connection')
    const timeoutMs = 30
    const { result } = await attempt('127.0.0.1', server.port, timeoutMs, LATE_MS, 'tryConnect() to a listening server did not settle')
    expect(result.ok, `connecting to a listening server resolved with ${describeValue(result)}`).toBe(true)
    const { socket } = result as Extract<ConnectResult, { ok: true }>
    const serverEnd = await accepted
    await sleep(timeoutMs * 3)
    expect(
      socket.destroyed,
      `the connected socket was destroyed ${formatDuration(timeoutMs * 3)} later: the connect timeout must be cancelled once connected`,
    ).toBe(false)
    socket.write('still here')
    const received = await receiveBytes(serverEnd, 10, LATE_MS, 'the server never received what was written on the returned socket')
    expect(received.toString(), 'bytes written on the returned socket, as the server received them').toBe('still here')
  })

  test("a peer that never answers (its accept queue is full): { ok: false, code: 'ETIMEDOUT' } after about timeoutMs", async () => {
    const { port } = await listenerWithFullAcceptQueue('127.0.0.1')
    const timeoutMs = 100
    const { result, elapsedMs } = await attempt(
      '127.0.0.1',
      port,
      timeoutMs,
      timeoutMs + LATE_MS,
      `with timeoutMs = ${timeoutMs}, tryConnect() to a peer that never answers did not give up ` +
        '(the kernel alone keeps resending the SYN for about two minutes)',
    )
    expect(result, `a connection the peer never answered resolved with ${describeValue(result)}`).toEqual({
      ok: false,
      code: 'ETIMEDOUT',
    })
    expect(elapsedMs >= timeoutMs - 2, `it gave up after ${formatDuration(elapsedMs)}, before timeoutMs (${timeoutMs} ms)`)
      .toBe(true)
  })

  test('giving up abandons the attempt: the kernel holds no SYN-SENT socket to that peer', async (context) => {
    requireKernelSocketTable(context)
    const { port } = await listenerWithFullAcceptQueue('127.0.0.1')
    const { result } = await attempt('127.0.0.1', port, 100, 100 + LATE_MS, 'tryConnect() to a peer that never answers did not give up')
    expect(result.ok, 'a connection the peer never answered should fail').toBe(false)
    const stillTrying = socketsOfThisProcess('tcp', (socket) => socket.remotePort === port && socket.state === 'SYN-SENT')
    expect(
      stillTrying.map((socket) => `${endpoint(socket.localAddress, socket.localPort)} -> ${endpoint(socket.remoteAddress, port)}`),
      'connection attempts still open in the kernel (SYN-SENT) after tryConnect() gave up: destroy the socket when you give up',
    ).toEqual([])
  })
})
