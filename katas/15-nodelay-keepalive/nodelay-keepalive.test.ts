import { readFileSync } from 'node:fs'
import type net from 'node:net'
import { describe, expect, test, type TestContext } from 'vitest'
import { kataUnderTest } from '#harness/kata-process/kata-under-test.ts'
import { RemoteSocket } from '#harness/kata-process/remote.ts'
import { procNetUnavailable } from '#harness/kernel/proc-net.ts'
import { ssUnavailable, tcpConnectionView } from '#harness/kernel/ss.ts'
import { describeValue } from '#harness/lifecycle/outcome.ts'
import { requireAddress, requireLinux } from '#harness/lifecycle/requirements.ts'
import { DeadlineError, formatDuration, within } from '#harness/lifecycle/within.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { freeTcpPort } from '#harness/sockets/ports.ts'
import { nextConnection, testServer } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./nodelay-keepalive.ts')>(import.meta.url)
const { connectTuned } = kata.exports

/** How long connectTuned() may take to settle over loopback: a handshake, or a refusal, takes well under a millisecond here. */
const CONNECT_MS = 2000
/**
 * Rounds before the measured ones: Linux ACKs the first segments of a connection at once ("quick ACK")
 * and starts delaying its ACKs only after a few.
 */
const WARM_UP_ROUNDS = 5
const MEASURED_ROUNDS = 35
/** Each round writes two messages of this many bytes; the test's server replies once it has both. */
const MESSAGE_BYTES = 5
/**
 * The bound on the median round. With Nagle's algorithm on, the second write waits for the ACK of the
 * first, which the peer's kernel delays by DELAYED_ACK_MS at least: no such round is shorter. With it off,
 * a round is a loopback round trip, well under a millisecond even with both cores busy (see the lesson).
 */
const MEDIAN_BOUND_MS = 20
/** Linux's shortest delayed ACK (TCP_DELACK_MIN). */
const DELAYED_ACK_MS = 40
/** All the rounds together: with Nagle on, 40 rounds take 2 s or more. */
const ROUNDS_MS = 15_000
/** Vitest's own limit for a test, past the sum of its bounded waits, so that a bound's message is the one shown. */
const TEST_MS = ROUNDS_MS + 3 * CONNECT_MS
/** Two idle times, so that a hard-coded one fails. Both under 10 s: ss shows such a timer to the millisecond. */
const IDLE_MS = 5000
const OTHER_IDLE_MS = 9000
/** The kernel keeps time in jiffies (1 to 10 ms), so its timer may read this much off what was set. */
const JIFFY_MS = 10

/** The test's end of the connection: what it received, and how many replies it sent (one for every two messages). */
interface Peer {
  socket: net.Socket
  received: () => string
  replies: () => number
}

/**
 * A server of the test's on `host`; connectTuned(host, its port, idleMs) must resolve (within CONNECT_MS)
 * with a socket already connected to it. Returns that socket, the test's end, and when the call was made.
 */
async function tunedConnection(host: string, idleMs: number): Promise<{ socket: RemoteSocket; peer: Peer; serverPort: number; calledAt: number }> {
  const server = await testServer(host)
  const to = endpoint(host, server.port)
  const accepted = nextConnection(server, CONNECT_MS, `the test's server at ${to} never saw a connection from connectTuned()`)
  accepted.catch(() => {}) // awaited below, once the call has settled
  const calledAt = performance.now()
  const value: unknown = await within(CONNECT_MS, `connectTuned('${host}', ${server.port}, ${idleMs}) to a listening server did not settle`, connectTuned(host, server.port, idleMs))
  expect(value, `connectTuned() to a listening server resolved with ${describeValue(value)}: it should resolve with the connected net.Socket`).toBeInstanceOf(RemoteSocket)
  const socket = value as RemoteSocket
  const { connecting, destroyed, remote } = socket.facts
  expect(
    { connecting, destroyed, remotePort: remote?.port },
    `when connectTuned() resolved, its socket was ${socket.toString()}: resolve once it has connected (its 'connect' event), not before`,
  ).toEqual({ connecting: false, destroyed: false, remotePort: server.port })
  return { socket, peer: replyingPeer(await accepted), serverPort: server.port, calledAt }
}

/** The test's end of a connection, replying with the ten bytes of each round once it has them all; Nagle off on this side, so that only yours can stall a round. */
function replyingPeer(socket: net.Socket): Peer {
  socket.setNoDelay(true)
  let received = ''
  let replies = 0
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1')
    while (received.length >= (replies + 1) * 2 * MESSAGE_BYTES) {
      socket.write(received.slice(replies * 2 * MESSAGE_BYTES, (replies + 1) * 2 * MESSAGE_BYTES))
      replies++
    }
  })
  return { socket, received: () => received, replies: () => replies }
}

/** Skips where the kernel's timers cannot be read (ss -o, on Linux). */
function requireTimers(context: TestContext): void {
  requireLinux(context, "a connection's keepalive timer is read with ss -o, which shows the timers of Linux's kernel")
  const reason = ssUnavailable()
  if (reason) context.skip(reason)
}

/** net.ipv4.tcp_keepalive_time: the idle time, in seconds, the kernel uses when keepalive is on and no other was set. */
function systemKeepaliveSeconds(): string {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_keepalive_time', 'utf8').trim()
  } catch {
    return '7200'
  }
}

/**
 * connectTuned(host, port, idleMs), then the connection's row in `ss -tno`, read at once: its keepalive
 * timer must count down from idleMs (it was set after the call began, so no more than idleMs remains,
 * and no less than idleMs minus the time since the call began).
 */
async function expectKeepaliveTimer(host: string, idleMs: number): Promise<void> {
  const { socket, serverPort, calledAt } = await tunedConnection(host, idleMs)
  const localPort = socket.facts.local!.port
  const view = tcpConnectionView(localPort, serverPort)
  const sinceCallMs = performance.now() - calledAt
  const connection = `${endpoint(socket.facts.local!.address, localPort)} -> ${endpoint(host, serverPort)}`
  expect(view?.state, `ss -tno shows no connection ${connection}, yet your socket is connected`).toBe('ESTAB')
  const timer = view!.timer
  expect(
    timer?.name ?? 'no timer',
    `the kernel's row for your connection (ss -tno): "${view!.row}". With keepalive on, the kernel keeps a keepalive timer for it ` +
      '(timer:(keepalive,…)); there is none, so keepalive is off and a dead peer would go unnoticed for ever. socket.setTimeout() is ' +
      "Node's own idle timer: it sends nothing. Turn keepalive on with socket.setKeepAlive(true, idleMs), or keepAlive: true " +
      "(with keepAliveInitialDelay) in net.connect()'s options",
  ).toBe('keepalive')
  const { remainingMs, text } = timer!
  const systemSeconds = systemKeepaliveSeconds()
  expect(
    remainingMs,
    `the first keepalive probe is due in ${formatDuration(remainingMs)} (ss: ${text}), later than idleMs (${idleMs} ms)` +
      (remainingMs > 60_000
        ? `: that is the kernel's default idle time (net.ipv4.tcp_keepalive_time, ${systemSeconds} s here), which applies when keepalive is ` +
          "turned on without a delay, or with one under 1000 ms: Node's setKeepAlive(true, delay) takes milliseconds and sets TCP_KEEPIDLE to " +
          'whole seconds, so idleMs / 1000 given to it sets nothing'
        : ''),
  ).toBeLessThanOrEqual(idleMs + JIFFY_MS)
  expect(
    remainingMs,
    `the first keepalive probe is due in ${formatDuration(remainingMs)} (ss: ${text}), sooner than idleMs (${idleMs} ms) minus the ` +
      `${formatDuration(sinceCallMs)} since connectTuned() was called: the kernel was given a shorter idle time than idleMs`,
  ).toBeGreaterThanOrEqual(idleMs - sinceCallMs - JIFFY_MS)
}

describe('connectTuned(host, port, idleMs)', () => {
  test(
    "resolves once connected: the test's server has accepted the connection, and the kernel shows it ESTABLISHED",
    async () => {
      const { socket, peer, serverPort } = await tunedConnection('127.0.0.1', IDLE_MS)
      expect(peer.socket.remotePort, "the port the test's server saw the connection come from").toBe(socket.facts.local!.port)
      if (procNetUnavailable()) return
      const rows = await kata.sockets('tcp', (row) => row.localPort === socket.facts.local!.port && row.remotePort === serverPort)
      expect(
        rows.map((row) => row.state),
        `the kernel's rows for your kata process's connection from port ${socket.facts.local!.port} to the server's port ${serverPort}`,
      ).toEqual(['ESTAB'])
    },
    TEST_MS,
  )

  test(
    "Nagle's algorithm off: write 5 bytes, write 5 bytes, wait for the reply; the median of 35 rounds (after 5 warm-up rounds) is under 20 ms",
    async () => {
      const { socket, peer } = await tunedConnection('127.0.0.1', IDLE_MS)
      const rounds = WARM_UP_ROUNDS + MEASURED_ROUNDS
      const durations = await within(
        ROUNDS_MS + CONNECT_MS,
        `the ${rounds} write-write-read rounds on your socket did not finish`,
        socket.writeWriteRead(rounds, 'hello', 'world', 2 * MESSAGE_BYTES, ROUNDS_MS),
      )
      expect(peer.received(), "what the test's server received: every round's two messages, in order").toBe('helloworld'.repeat(rounds))
      expect(peer.replies(), "the replies the test's server sent, one per round, each only after both messages").toBe(rounds)
      const measured = durations.slice(WARM_UP_ROUNDS).sort((a, b) => a - b)
      const median = measured[Math.floor(MEASURED_ROUNDS / 2)]!
      const spread = `fastest ${formatDuration(measured[0]!)}, slowest ${formatDuration(measured.at(-1)!)}`
      expect(
        median,
        `the median of ${MEASURED_ROUNDS} rounds took ${formatDuration(median)} (${spread}). With Nagle's algorithm on, the kernel holds ` +
          'the second small write until the first is acknowledged, and the peer delays that ACK (at least ' +
          `${DELAYED_ACK_MS} ms on Linux) in the hope of sending it with a reply, which it sends only once it has both writes. ` +
          "Turn Nagle's algorithm off: socket.setNoDelay(true) (setNoDelay(false) turns it on), or noDelay: true in net.connect()'s options",
      ).toBeLessThan(MEDIAN_BOUND_MS)
    },
    TEST_MS,
  )

  test(
    'keepalive on: the kernel\'s keepalive timer (ss -o) counts down from idleMs 5000, not from the 2 h default',
    async (context) => {
      requireTimers(context)
      await expectKeepaliveTimer('127.0.0.1', IDLE_MS)
    },
    TEST_MS,
  )

  test(
    "keepalive on, for another idleMs: the kernel's keepalive timer (ss -o) counts down from idleMs 9000",
    async (context) => {
      requireTimers(context)
      await expectKeepaliveTimer('127.0.0.1', OTHER_IDLE_MS)
    },
    TEST_MS,
  )

  test(
    "works over IPv6: connected to ::1, with the keepalive timer of idleMs 5000",
    async (context) => {
      await requireAddress(context, '::1')
      requireTimers(context)
      await expectKeepaliveTimer('::1', IDLE_MS)
    },
    TEST_MS,
  )

  test(
    'a port where nothing listens: rejects with ECONNREFUSED, and leaves no socket open',
    async () => {
      const port = await freeTcpPort('127.0.0.1')
      const to = endpoint('127.0.0.1', port)
      let outcome: string
      try {
        const value: unknown = await within(CONNECT_MS, `connectTuned() to ${to}, where nothing listens, did not settle (the kernel refuses at once)`, connectTuned('127.0.0.1', port, IDLE_MS))
        outcome = `resolved with ${describeValue(value)}`
      } catch (error) {
        if (error instanceof DeadlineError || !(error as NodeJS.ErrnoException).code) throw error
        outcome = `rejected with ${(error as NodeJS.ErrnoException).code}`
      }
      expect(
        outcome,
        `connecting to ${to}, where nothing listens: the kernel refuses the connection (an RST), and connectTuned() should reject with that ` +
          "error (the socket's 'error' event): resolve only on 'connect'",
      ).toBe('rejected with ECONNREFUSED')
      if (procNetUnavailable()) return
      const left = await kata.sockets('tcp', (row) => row.remotePort === port)
      expect(
        left.map((row) => `${row.state} ${endpoint(row.localAddress, row.localPort)} -> ${endpoint(row.remoteAddress, row.remotePort)}`),
        `sockets your kata process still holds toward ${to} after the refusal`,
      ).toEqual([])
    },
    TEST_MS,
  )
})
