import { describe, expect, test } from 'vitest'
import { kataUnderTest } from '#harness/kata-process/kata-under-test.ts'
import { RemoteSocket } from '#harness/kata-process/remote.ts'
import { describeValue } from '#harness/lifecycle/outcome.ts'
import { requireAddress, requireKernelSocketTable, requireLinux } from '#harness/lifecycle/requirements.ts'
import { DeadlineError, formatDuration, sleep, within } from '#harness/lifecycle/within.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { listenerWithFullAcceptQueue } from '#harness/sockets/frozen-listener.ts'
import { freeTcpPort } from '#harness/sockets/ports.ts'
import { nextConnection, receiveBytes, testServer } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./refused.ts')>(import.meta.url)
const { tryConnect } = kata.exports
// A peer that never answers takes a moment to set up: it starts now, while the first tests run.
void listenerWithFullAcceptQueue('127.0.0.1')

type Result = Awaited<ReturnType<typeof tryConnect>>

/** How long any answer may take to reach the test when nothing in the call has to wait. */
const ANSWER_MS = 2000
/** A refusal over loopback is one RST away: a few ms here, idle (see the lesson). */
const REFUSED_MS = 250
/** How much later than timeoutMs the result may reach the test: a timer fires a little late. */
const LATE_MS = 100
/**
 * On a busy machine every answer comes later, the learner's code no slower for it: each bound above
 * grows by this many times the longest stall measured before, during and after the call: the slowest round trip to
 * the kata process, or (during it) the most the test's own sampling timer fired late (well under a millisecond idle;
 * tens of ms with both cores busy, hundreds in a loaded container).
 */
const BUSY_FACTOR = 4
/** How often the test measures a round trip to the kata process while the call runs. */
const BUSY_SAMPLE_MS = 20

/**
 * tryConnect(host, port, timeoutMs), bounded by `boundMs`, and how long it took as the test saw it.
 * A rejection fails the test: network trouble is reported in the result, never thrown.
 */
async function attempt(host: string, port: number, timeoutMs: number, boundMs: number, whatDidNotHappen: string) {
  const busyBefore = await kata.roundTripMs()
  const started = performance.now()
  let result: Result
  const call = within(boundMs, whatDidNotHappen, tryConnect(host, port, timeoutMs))
  const busyDuring = kata.longestStallWhile(call, BUSY_SAMPLE_MS)
  try {
    result = await call
  } catch (error) {
    if (error instanceof DeadlineError || !(error as NodeJS.ErrnoException).code) throw error
    const { code } = error as NodeJS.ErrnoException
    throw new Error(`tryConnect() rejected with ${code}: network trouble must be reported, not thrown; resolve with { ok: false, code: '${code}' }`)
  }
  const elapsedMs = performance.now() - started
  /** What a busy machine adds to a bound: see BUSY_FACTOR. */
  const slackMs = Math.ceil(BUSY_FACTOR * Math.max(busyBefore, await busyDuring, await kata.roundTripMs()))
  return { result, elapsedMs, slackMs }
}

/** The socket of an { ok: true } result, checked to be one. */
function connectedSocket(result: Result): RemoteSocket {
  expect(result.ok, `connecting to a listening server resolved with ${describeValue(result)}`).toBe(true)
  const { socket } = result as Extract<Result, { ok: true }>
  expect(socket, '{ ok: true } should come with the connected net.Socket').toBeInstanceOf(RemoteSocket)
  return socket
}

/**
 * A connect timeout short enough to wait out, long enough for a handshake here and now: ten times what
 * a probe connection from the kata process just took, or a round trip to it, and never under 50 ms.
 */
async function shortTimeoutFor(host: string): Promise<number> {
  const probed = await testServer(host)
  const { connectMs } = await kata.connect(host, probed.port)
  return Math.max(50, Math.ceil(10 * Math.max(connectMs, await kata.roundTripMs())))
}

/** How many times a short connect timeout is tried, doubled each time, when even a connection to a listening server outlasts it. */
const SHORT_TIMEOUT_TRIES = 4

/**
 * tryConnect() to a listening server of the test's, with a timeoutMs short enough that a connect timer
 * left running fires soon after. On a busy machine the connection itself may outlast that timeoutMs,
 * and an ETIMEDOUT is then right: it is tried again with twice the timeoutMs, SHORT_TIMEOUT_TRIES times in all.
 */
async function connectWithShortTimeout(host: string) {
  let timeoutMs = await shortTimeoutFor(host)
  for (let tries = 1; ; tries++, timeoutMs *= 2) {
    const server = await testServer(host)
    const accepted = nextConnection(server, ANSWER_MS, 'the server never saw the connection')
    const { result } = await attempt(host, server.port, timeoutMs, ANSWER_MS, 'tryConnect() to a listening server did not settle')
    const timedOut = !result.ok && result.code === 'ETIMEDOUT'
    if (timedOut && tries < SHORT_TIMEOUT_TRIES) {
      accepted.catch(() => {}) // the connection may never have reached the server: no longer waited for
      continue
    }
    return { timeoutMs, socket: connectedSocket(result), serverEnd: await accepted }
  }
}

/** The kata process's connection attempts to `port` still in SYN-SENT, as the kernel shows them: "127.0.0.1:41234 -> 127.0.0.1:5000". */
async function connectionAttemptsTo(port: number): Promise<string[]> {
  const trying = await kata.sockets('tcp', (socket) => socket.remotePort === port && socket.state === 'SYN-SENT')
  return trying.map((socket) => `${endpoint(socket.localAddress, socket.localPort)} -> ${endpoint(socket.remoteAddress, port)}`)
}

describe('tryConnect(host, port, timeoutMs)', () => {
  test("a port where nothing listens: resolves with { ok: false, code: 'ECONNREFUSED' } at once", async () => {
    const port = await freeTcpPort('127.0.0.1')
    const { result, elapsedMs, slackMs } = await attempt(
      '127.0.0.1',
      port,
      10_000,
      ANSWER_MS,
      `tryConnect() to ${endpoint('127.0.0.1', port)}, where nothing listens, did not settle (the kernel refuses at once with an RST)`,
    )
    expect(result, `connecting to ${endpoint('127.0.0.1', port)}, where nothing listens, resolved with ${describeValue(result)}`).toEqual({
      ok: false,
      code: 'ECONNREFUSED',
    })
    expect(
      elapsedMs,
      `the refusal took ${formatDuration(elapsedMs)} to be reported: the kernel answers at once, so report the 'error' event as soon as it comes`,
    ).toBeLessThan(REFUSED_MS + slackMs)
  })

  test('a port where a server listens: resolves with { ok: true, socket }, connected to it', async () => {
    const server = await testServer('127.0.0.1')
    const accepted = nextConnection(server, ANSWER_MS, 'the server never saw the connection')
    const { result } = await attempt('127.0.0.1', server.port, 5000, ANSWER_MS, 'tryConnect() to a listening server did not settle')
    const socket = connectedSocket(result)
    expect(
      { connecting: socket.facts.connecting, destroyed: socket.facts.destroyed, remotePort: socket.facts.remote?.port },
      'the socket should be connected to the server when tryConnect() resolves',
    ).toEqual({ connecting: false, destroyed: false, remotePort: server.port })
    const serverEnd = await accepted
    await socket.write('hello')
    const received = await receiveBytes(serverEnd, 5, ANSWER_MS, 'the server never received what was written on the returned socket')
    expect(received.toString(), 'bytes written on the returned socket, as the server received them').toBe('hello')
  })

  test('the socket it connected stays open after timeoutMs has passed', async () => {
    const { timeoutMs, socket, serverEnd } = await connectWithShortTimeout('127.0.0.1')
    await sleep(timeoutMs * 2)
    const facts = await socket.refresh()
    expect(
      facts.destroyed,
      `the connected socket was destroyed ${formatDuration(timeoutMs * 2)} later (timeoutMs was ${timeoutMs}): the connect timeout must be cancelled once connected`,
    ).toBe(false)
    await socket.write('still here')
    const received = await receiveBytes(serverEnd, 10, ANSWER_MS, 'the server never received what was written on the returned socket')
    expect(received.toString(), 'bytes written on the returned socket, as the server received them').toBe('still here')
  })

  test("a peer that never answers (its accept queue is full): { ok: false, code: 'ETIMEDOUT' }, no sooner than timeoutMs and not much later", async () => {
    const { port } = await listenerWithFullAcceptQueue('127.0.0.1')
    const timeoutMs = 200 // twice it (a deadline doubled, one more attempt) is well past timeoutMs + LATE_MS
    const { result, elapsedMs, slackMs } = await attempt(
      '127.0.0.1',
      port,
      timeoutMs,
      timeoutMs + ANSWER_MS,
      `with timeoutMs = ${timeoutMs}, tryConnect() to a peer that never answers did not give up ` +
        '(the kernel alone keeps resending the SYN for about two minutes)',
    )
    expect(result, `a connection the peer never answered resolved with ${describeValue(result)}`).toEqual({ ok: false, code: 'ETIMEDOUT' })
    expect(elapsedMs, `it gave up after ${formatDuration(elapsedMs)}, before timeoutMs (${timeoutMs} ms)`).toBeGreaterThanOrEqual(timeoutMs - 1)
    expect(
      elapsedMs,
      `it gave up after ${formatDuration(elapsedMs)}, well after timeoutMs (${timeoutMs} ms): give up when timeoutMs has passed, ` +
        'not later, and make no second attempt',
    ).toBeLessThanOrEqual(timeoutMs + LATE_MS + slackMs)
  })

  test('giving up abandons the attempt: the kernel holds no SYN-SENT socket to that peer', async (context) => {
    requireKernelSocketTable(context)
    const { port } = await listenerWithFullAcceptQueue('127.0.0.1')
    const { result } = await attempt('127.0.0.1', port, 100, 100 + ANSWER_MS, 'tryConnect() to a peer that never answers did not give up')
    expect(result.ok, 'a connection the peer never answered should fail').toBe(false)
    expect(
      await connectionAttemptsTo(port),
      'connection attempts your kata process still had open (SYN-SENT) when tryConnect() had given up: destroy the socket when you give up',
    ).toEqual([])
  })

  test("the socket it returns carries nothing of tryConnect's: no 'error' listener, no timeout", async () => {
    const server = await testServer('127.0.0.1')
    const accepted = nextConnection(server, ANSWER_MS, 'the server never saw the connection')
    const { result } = await attempt('127.0.0.1', server.port, 5000, ANSWER_MS, 'tryConnect() to a listening server did not settle')
    const { facts } = connectedSocket(result)
    await accepted
    const errorListeners = facts.listeners.error ?? 0
    expect(
      errorListeners,
      `the returned socket still had ${errorListeners} 'error' listener(s): one left behind swallows the socket's ` +
        "next error (a once() listener) or every one (on()), a reset say, which from then on are the caller's to handle. Remove yours once connected",
    ).toBe(0)
    expect(facts.timeoutMs, `the returned socket still had an idle timeout of ${facts.timeoutMs} ms set (socket.setTimeout): clear it once connected`).toBe(null)
  })

  test('works over IPv6 as well: refused, and connected, on ::1', async (context) => {
    await requireAddress(context, '::1')
    const port = await freeTcpPort('::1')
    const refused = await attempt('::1', port, 5000, ANSWER_MS, `tryConnect() to ${endpoint('::1', port)}, where nothing listens, did not settle`)
    expect(refused.result, `connecting to ${endpoint('::1', port)}, where nothing listens`).toEqual({ ok: false, code: 'ECONNREFUSED' })
    const server = await testServer('::1')
    const accepted = nextConnection(server, ANSWER_MS, 'the IPv6 server never saw the connection')
    const { result } = await attempt('::1', server.port, 5000, ANSWER_MS, 'tryConnect() to a listening IPv6 server did not settle')
    expect(connectedSocket(result).facts.remote, 'the peer of the returned socket').toMatchObject({ address: '::1', port: server.port })
    await accepted
  })

  test("an address no connection can reach (the broadcast address): { ok: false, code: 'ENETUNREACH' }", async (context) => {
    requireLinux(context, 'a TCP connect to 255.255.255.255 failing at once with ENETUNREACH was measured on Linux only')
    const { result } = await attempt('255.255.255.255', 9, 5000, ANSWER_MS, 'tryConnect() to 255.255.255.255 did not settle')
    expect(
      result,
      `TCP cannot connect to a broadcast address, and Linux says so at once; tryConnect() resolved with ${describeValue(result)}: ` +
        'report the code the error came with, whatever it is',
    ).toEqual({ ok: false, code: 'ENETUNREACH' })
  })
})
