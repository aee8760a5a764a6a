import net from 'node:net'
import { inspect } from 'node:util'
import { describe, expect, test } from 'vitest'
import { kataUnderTest, type TestDoubleHandle } from '#harness/kata-process/kata-under-test.ts'
import { RemoteSocket } from '#harness/kata-process/remote.ts'
import type { LookupOptions, LookupReport } from '#harness/kata-process/runtime/test-doubles/lookup.ts'
import { procNetUnavailable } from '#harness/kernel/proc-net.ts'
import { closeAfterTest } from '#harness/lifecycle/cleanup.ts'
import { isHarnessError } from '#harness/lifecycle/harness-error.ts'
import { requireAddress } from '#harness/lifecycle/requirements.ts'
import { DeadlineError, formatDuration, nextEvent, sleep, within } from '#harness/lifecycle/within.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { frozenListenerAt, listenerWithFullAcceptQueue } from '#harness/sockets/frozen-listener.ts'
import { freeTcpPort } from '#harness/sockets/ports.ts'
import { connectionAttempt, nextConnection, testServer } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./names.ts')>(import.meta.url)
const { connectByName } = kata.exports
// A peer that never answers takes a moment to set up: it starts now, while the first tests run.
void listenerWithFullAcceptQueue('127.0.0.1')

type Result = Awaited<ReturnType<typeof connectByName>>

/** The name every test resolves: under .test, a top-level domain reserved for tests (RFC 2606), so no resolver knows it. */
const NAME = 'service.names.test'
/** How long any answer may take to reach the test when nothing in the call has to wait. */
const ANSWER_MS = 2000
/** How much later than timeoutMs the result may reach the test: the contract's bound (a timer fires a little late). */
const LATE_MS = 100
/** A timer may fire up to a millisecond early. */
const EARLY_MS = 1
/** The timeoutMs of the calls whose attempts end at once (a connection, a refusal): far more than they need. */
const ROOMY_TIMEOUT_MS = 5000
/** The timeoutMs when the first address never answers and the second listens: the first gets half. */
const FALLBACK_TIMEOUT_MS = 2000
/** The timeoutMs when every address never answers: two attempts of 300 ms. */
const ALL_FROZEN_TIMEOUT_MS = 600
/** The timeoutMs when the lookup never answers. */
const PENDING_LOOKUP_TIMEOUT_MS = 300
/** The timeoutMs when the lookup takes LOOKUP_HOLD_MS to answer, then with an address that never answers. */
const SLOW_LOOKUP_TIMEOUT_MS = 2000
const LOOKUP_HOLD_MS = 1000
/**
 * On a busy machine every answer comes later, the learner's code no slower for it: each bound on how
 * late a result may come grows by this many times the longest stall measured before, during (every
 * BUSY_SAMPLE_MS) and after the call: the slowest round trip to the kata process, or how late the test's
 * own sampling timer fired (a stall of the test process): well under a millisecond idle; tens of ms with
 * both cores busy, and a burst of load during the call shows in the samples taken then.
 */
const BUSY_FACTOR = 4
const BUSY_SAMPLE_MS = 20
/** How many times a setup that needs one port on several addresses is tried again when one of them has it taken. */
const SAME_PORT_TRIES = 3

const LOOPBACK_4 = { address: '127.0.0.1', family: 4 }
const LOOPBACK_6 = { address: '::1', family: 6 }
const LOOPBACK_4_OTHER = { address: '127.0.0.2', family: 4 }

// ---------------------------------------------------------------------------------------------------
// The lookup: a test double in the kata process, answering from a script (never /etc/hosts or DNS).
// ---------------------------------------------------------------------------------------------------

/** A lookup function made in your kata process: it answers `options` and records every call. */
async function scriptedLookup(options: LookupOptions): Promise<TestDoubleHandle> {
  return kata.testDouble('lookup', { ...options })
}

async function lookupCalls(lookup: TestDoubleHandle): Promise<LookupReport['calls']> {
  return ((await lookup.control('report')) as LookupReport).calls
}

/** "::1, then 127.0.0.1": a lookup's answer, in words. */
function inOrder(addresses: { address: string }[]): string {
  return addresses.map(({ address }) => address).join(', then ')
}

/** A result as the messages quote it, whole (attempts and all). */
function described(result: unknown): string {
  return inspect(result, { depth: 4, breakLength: Infinity })
}

// ---------------------------------------------------------------------------------------------------
// The call
// ---------------------------------------------------------------------------------------------------

/**
 * connectByName(NAME, port, { lookup, timeoutMs }), bounded by `boundMs`, how long it took as the test
 * saw it, and the busy machine's allowance (see BUSY_FACTOR). A rejection fails the test: network
 * trouble is reported in the result, never thrown.
 */
async function connectVia(lookup: TestDoubleHandle, port: number, timeoutMs: number, boundMs: number, whatDidNotHappen: string) {
  const busyBefore = await kata.roundTripMs()
  const started = performance.now()
  let result: Result
  const options = { lookup: lookup.handle as unknown as net.LookupFunction, timeoutMs }
  const call = within(boundMs, whatDidNotHappen, connectByName(NAME, port, options))
  const busyDuring = kata.longestStallWhile(call, BUSY_SAMPLE_MS)
  try {
    result = await call
  } catch (error) {
    if (isHarnessError(error) || !(error as NodeJS.ErrnoException).code) throw error
    const { code, message } = error as NodeJS.ErrnoException
    throw new Error(
      `connectByName() rejected with ${code} (${message}): network trouble is a result, not an exception; ` +
        'resolve with { ok: false, attempts } and each address tried, with its code',
    )
  }
  const elapsedMs = performance.now() - started
  const slackMs = Math.ceil(BUSY_FACTOR * Math.max(busyBefore, await busyDuring, await kata.roundTripMs()))
  return { result, elapsedMs, slackMs }
}

/**
 * The socket of an { ok: true } result, checked: connected via `address`, to the test's `server`, which
 * saw that very connection (its peer's port is the socket's own).
 */
async function expectConnectedVia(result: Result, address: string, port: number, accepted: Promise<net.Socket>, situation: string): Promise<RemoteSocket> {
  expect(described(result), `${situation}: connectByName() should resolve with { ok: true, socket, address: '${address}' }`).toMatch(/^\{ ok: true/)
  const { socket, address: reported } = result as Extract<Result, { ok: true }>
  expect(socket, '{ ok: true } should come with the connected net.Socket').toBeInstanceOf(RemoteSocket)
  const serverEnd = await accepted
  expect(
    { remote: socket.facts.remote && { address: socket.facts.remote.address, port: socket.facts.remote.port }, destroyed: socket.facts.destroyed },
    `${situation}: the socket connectByName() resolved with should be connected to ${endpoint(address, port)}, the one server there is`,
  ).toEqual({ remote: { address, port }, destroyed: false })
  expect(
    serverEnd.remotePort,
    `the test's server at ${endpoint(address, port)} saw a connection from port ${serverEnd.remotePort}; the socket you resolved with is on port ${socket.facts.local?.port}: resolve with the socket that connected`,
  ).toBe(socket.facts.local?.port)
  expect(
    reported,
    `${situation}: 'address' should be the address the socket connected to, as the lookup gave it (${address}): the caller wants to know which of the name's addresses answered`,
  ).toBe(address)
  return socket
}

/** The test's bound for a call that waits out timeoutMs: what the contract allows, LATE_MS, and the busy machine's allowance. */
function expectSettledAtTimeout(elapsedMs: number, timeoutMs: number, slackMs: number, why: string): void {
  expect(elapsedMs, `it resolved after ${formatDuration(elapsedMs)}, before timeoutMs (${timeoutMs} ms): ${why}`).toBeGreaterThanOrEqual(timeoutMs - EARLY_MS)
  expect(
    elapsedMs,
    `it resolved after ${formatDuration(elapsedMs)}, more than ${LATE_MS} ms after timeoutMs (${timeoutMs} ms): ${why}`,
  ).toBeLessThanOrEqual(timeoutMs + LATE_MS + slackMs)
}

/**
 * The kernel's rows for your kata process's TCP connections and connection attempts (SYN-SENT, ESTAB),
 * but for `except` (the socket you resolved with), as "a connection attempt in SYN-SENT from ... to ...";
 * none where the kernel's table cannot be read (the harness's own check after the test still sees
 * what your code left open).
 */
async function connectionsLeft(except?: RemoteSocket): Promise<string[]> {
  if (procNetUnavailable()) return []
  const keep = except?.facts.local?.port
  const rows = await kata.sockets('tcp', (row) => (row.state === 'SYN-SENT' || row.state === 'ESTAB') && row.localPort !== keep)
  return rows.map((row) => {
    const what = row.state === 'SYN-SENT' ? 'a connection attempt in SYN-SENT' : 'a connection in ESTAB'
    return `${what} from ${endpoint(row.localAddress, row.localPort)} to ${endpoint(row.remoteAddress, row.remotePort)}`
  })
}

// ---------------------------------------------------------------------------------------------------
// Peers: a name's addresses all get the one port asked for.
// ---------------------------------------------------------------------------------------------------

/** The next connection `server` accepts, bounded; a call that fails first leaves it unawaited, and that is no error of its own. */
function connectionTo(server: net.Server, ms: number, whatDidNotHappen: string): Promise<net.Socket> {
  const accepted = nextConnection(server, ms, whatDidNotHappen)
  accepted.catch(() => {}) // reported where it is awaited
  return accepted
}

/** A server of the test's on host:port exactly (port 0: any), closed after the test. */
async function serverAt(host: string, port: number): Promise<net.Server & { port: number }> {
  const server = closeAfterTest(net.createServer((socket) => closeAfterTest(socket.on('error', () => {}))))
  server.listen({ host, port })
  await nextEvent(server, 'listening', ANSWER_MS, `the test's own server never started listening on ${endpoint(host, port)}`)
  return Object.assign(server, { port: (server.address() as net.AddressInfo).port })
}

/** Runs `setup` again, up to SAME_PORT_TRIES times in all, when a port it needs on one more address is taken there (EADDRINUSE, or not refused). */
async function onOnePort<T>(what: string, setup: () => Promise<T | undefined>): Promise<T> {
  for (let tries = 1; tries <= SAME_PORT_TRIES; tries++) {
    try {
      const done = await setup()
      if (done !== undefined) return done
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    }
  }
  throw new Error(`the test could not set up ${what} on one port in ${SAME_PORT_TRIES} tries: the port it got was in use on another of the addresses each time`)
}

/** A port where connecting to each of `hosts` is refused: nothing listens there. */
function refusedEverywhere(hosts: string[]): Promise<number> {
  return onOnePort(`a port nothing listens on at ${hosts.join(' and ')}`, async () => {
    const port = await freeTcpPort(hosts[0]!)
    for (const host of hosts) if ((await connectionAttempt(host, port)) !== 'ECONNREFUSED') return undefined
    return port
  })
}

/** The test's server on `host`, where each of `refusing` refuses on its port. */
function serverWhereOthersRefuse(host: string, refusing: string[]): Promise<net.Server & { port: number }> {
  return onOnePort(`a server on ${host} whose port is refused on ${refusing.join(' and ')}`, async () => {
    const server = await testServer(host)
    for (const other of refusing) if ((await connectionAttempt(other, server.port)) !== 'ECONNREFUSED') return undefined
    return server
  })
}

/** Listeners that never answer (their accept queue is full: SYNs to them are dropped), one on each of `hosts`, all on one port; and a server of the test's on that port at `listening`. */
function frozenOnOnePort(hosts: string[], listening?: string): Promise<{ port: number; server?: net.Server & { port: number } }> {
  return onOnePort(`listeners that never answer on ${hosts.join(' and ')}`, async () => {
    const { port } = await frozenListenerAt(hosts[0]!, 0)
    for (const host of hosts.slice(1)) await frozenListenerAt(host, port)
    return { port, ...(listening ? { server: await serverAt(listening, port) } : {}) }
  })
}

// ---------------------------------------------------------------------------------------------------

describe('connectByName(name, port, { lookup, timeoutMs })', () => {
  test('asks options.lookup for the name, once, for every address ({ all: true }), and connects to the address it gives', async () => {
    const server = await testServer('127.0.0.1')
    const accepted = connectionTo(server, ANSWER_MS, `the test's server on 127.0.0.1 never saw a connection`)
    const lookup = await scriptedLookup({ addresses: [LOOPBACK_4] })
    const call = connectVia(lookup, server.port, ROOMY_TIMEOUT_MS, ANSWER_MS, `connectByName() did not settle, with a lookup that answers 127.0.0.1 at once and a server listening there`)
    const settled = await call.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    )
    // Your code's own error is the verdict; a call that never settled (dns.lookup asking a real resolver, say) is judged by the lookup's record first.
    if ('error' in settled && !(settled.error instanceof DeadlineError)) throw settled.error
    const calls = await lookupCalls(lookup)
    expect(
      calls.length,
      `your code called options.lookup ${calls.length} times: resolve the name with the lookup the caller passed, once (dns.lookup reads /etc/hosts and DNS, not what the caller chose)`,
    ).toBe(1)
    expect(calls[0]!.hostname, 'the name options.lookup was asked for').toBe(NAME)
    expect(
      calls[0]!.all,
      "options.lookup was not asked for every address: call it with { all: true }, or it answers with the first address alone (as dns.lookup does), and there is nothing to fall back on",
    ).toBe(true)
    if ('error' in settled) throw settled.error
    await expectConnectedVia(settled.value.result, '127.0.0.1', server.port, accepted, 'the lookup answered 127.0.0.1 and a server listens there')
  })

  test("the localhost trap: a name that resolves to ::1, then 127.0.0.1, while only 127.0.0.1 listens: connects via 127.0.0.1", async (context) => {
    await requireAddress(context, '::1')
    const server = await serverWhereOthersRefuse('127.0.0.1', ['::1'])
    const accepted = connectionTo(server, ANSWER_MS, `the test's server on 127.0.0.1 never saw a connection`)
    const answer = [LOOPBACK_6, LOOPBACK_4]
    const lookup = await scriptedLookup({ addresses: answer })
    const { result } = await connectVia(lookup, server.port, ROOMY_TIMEOUT_MS, ANSWER_MS, `connectByName() did not settle, with ::1 refusing at once and 127.0.0.1 listening`)
    await expectConnectedVia(
      result,
      '127.0.0.1',
      server.port,
      accepted,
      `the lookup answered ${inOrder(answer)}; ${endpoint('::1', server.port)} refuses, ${endpoint('127.0.0.1', server.port)} listens. ` +
        `When an address refuses, try the next one; connectByName() resolved with ${described(result)}`,
    )
  })

  test("every address refused: { ok: false, attempts } lists each with its code, ECONNREFUSED, in the lookup's order", async (context) => {
    await requireAddress(context, '::1')
    const port = await refusedEverywhere(['::1', '127.0.0.1'])
    const answer = [LOOPBACK_6, LOOPBACK_4]
    const lookup = await scriptedLookup({ addresses: answer })
    const { result } = await connectVia(lookup, port, ROOMY_TIMEOUT_MS, ANSWER_MS, `connectByName() did not settle, with both addresses refusing at once`)
    expect(
      result,
      `the lookup answered ${inOrder(answer)} and nothing listens on port ${port} at either; connectByName() resolved with ${described(result)}. ` +
        "Each attempt is the address tried and its error's code (error.code, ECONNREFUSED), never error.message: that is text for humans, " +
        "and Node's AggregateError (what net.connect() to a name emits when every address failed) has an empty message",
    ).toEqual({
      ok: false,
      attempts: [
        { address: '::1', code: 'ECONNREFUSED' },
        { address: '127.0.0.1', code: 'ECONNREFUSED' },
      ],
    })
  })

  test("attempts go in the lookup's order, not Node's family interleaving: 127.0.0.1, 127.0.0.2, ::1, all refused", async (context) => {
    await requireAddress(context, '::1')
    await requireAddress(context, '127.0.0.2')
    const port = await refusedEverywhere(['127.0.0.1', '127.0.0.2', '::1'])
    const answer = [LOOPBACK_4, LOOPBACK_4_OTHER, LOOPBACK_6]
    const lookup = await scriptedLookup({ addresses: answer })
    const { result } = await connectVia(lookup, port, ROOMY_TIMEOUT_MS, ANSWER_MS, `connectByName() did not settle, with three addresses refusing at once`)
    const tried = 'attempts' in result ? result.attempts.map((attempt) => attempt?.address) : []
    expect(
      tried,
      `the addresses tried, in order, for a lookup that answered ${inOrder(answer)}; connectByName() resolved with ${described(result)}. ` +
        "Try them in the lookup's order: net.connect()'s own autoSelectFamily alternates the families (127.0.0.1, ::1, 127.0.0.2)",
    ).toEqual(answer.map(({ address }) => address))
    expect(result, 'every address refused: each attempt with ECONNREFUSED').toEqual({
      ok: false,
      attempts: answer.map(({ address }) => ({ address, code: 'ECONNREFUSED' })),
    })
  })

  test('a first address that never answers: its attempt is cut at its share (timeoutMs / 2), and the second connects at once', async (context) => {
    await requireAddress(context, '::1')
    const { port, server } = await frozenOnOnePort(['127.0.0.1'], '::1')
    const accepted = connectionTo(server!, FALLBACK_TIMEOUT_MS + ANSWER_MS, `the test's server on ::1 never saw a connection`)
    const answer = [LOOPBACK_4, LOOPBACK_6]
    const lookup = await scriptedLookup({ addresses: answer })
    const share = FALLBACK_TIMEOUT_MS / 2 // two addresses: the first gets half
    const { result, elapsedMs, slackMs } = await connectVia(
      lookup,
      port,
      FALLBACK_TIMEOUT_MS,
      FALLBACK_TIMEOUT_MS + ANSWER_MS,
      `with timeoutMs = ${FALLBACK_TIMEOUT_MS}, connectByName() did not settle, with 127.0.0.1 never answering and ::1 listening`,
    )
    const socket = await expectConnectedVia(
      result,
      '::1',
      port,
      accepted,
      `the lookup answered ${inOrder(answer)}; ${endpoint('127.0.0.1', port)} never answers (the kernel drops the SYNs), ${endpoint('::1', port)} listens, timeoutMs ${FALLBACK_TIMEOUT_MS}. ` +
        `Give each attempt its share of the time left (here ${share} ms each), destroy it when its share runs out, and try the next address; ` +
        `connectByName() resolved with ${described(result)}`,
    )
    expect(
      elapsedMs,
      `it connected via ::1 after ${formatDuration(elapsedMs)}: the attempt to 127.0.0.1 should have had its share first, ${share} ms (timeoutMs / 2), and the attempts go one after another`,
    ).toBeGreaterThanOrEqual(share - EARLY_MS)
    expect(
      elapsedMs,
      `it connected via ::1 after ${formatDuration(elapsedMs)}, more than ${LATE_MS} ms after the first attempt's share (${share} ms) ran out: ` +
        'when the share of an address that never answers runs out, give up on it and try the next address at once',
    ).toBeLessThanOrEqual(share + LATE_MS + slackMs)
    const left = await connectionsLeft(socket)
    expect(
      left,
      `your kata process still had open, beside the socket it resolved with: ${left.join('; ')}. Destroy an attempt when you give up on it (the kernel would go on resending its SYN for two minutes)`,
    ).toEqual([])
  })

  test('every address never answers: each attempt ETIMEDOUT, resolved no later than 100 ms after timeoutMs, no attempt left open', async (context) => {
    await requireAddress(context, '::1')
    const { port } = await frozenOnOnePort(['::1', '127.0.0.1'])
    const answer = [LOOPBACK_6, LOOPBACK_4]
    const lookup = await scriptedLookup({ addresses: answer })
    const { result, elapsedMs, slackMs } = await connectVia(
      lookup,
      port,
      ALL_FROZEN_TIMEOUT_MS,
      ALL_FROZEN_TIMEOUT_MS + ANSWER_MS,
      `with timeoutMs = ${ALL_FROZEN_TIMEOUT_MS}, connectByName() to two addresses that never answer did not give up (the kernel alone keeps resending a SYN for about two minutes)`,
    )
    expect(
      result,
      `the lookup answered ${inOrder(answer)}, neither ever answers, timeoutMs ${ALL_FROZEN_TIMEOUT_MS}: each address should get its share (${ALL_FROZEN_TIMEOUT_MS / 2} ms) ` +
        `and fail with ETIMEDOUT; connectByName() resolved with ${described(result)}`,
    ).toEqual({ ok: false, attempts: answer.map(({ address }) => ({ address, code: 'ETIMEDOUT' })) })
    expectSettledAtTimeout(
      elapsedMs,
      ALL_FROZEN_TIMEOUT_MS,
      slackMs,
      'the attempts share timeoutMs, each getting what is left divided by the addresses not yet tried; a whole timeoutMs for each address makes the caller wait twice as long as it asked',
    )
    const left = await connectionsLeft()
    expect(
      left,
      `your kata process still had open after giving up: ${left.join('; ')}. Destroy each attempt when its share runs out (the kernel would go on resending its SYN for two minutes)`,
    ).toEqual([])
  })

  test("a lookup that fails: { ok: false, attempts: [{ address: name, code: 'ENOTFOUND' }] }", async () => {
    const port = await freeTcpPort('127.0.0.1')
    const lookup = await scriptedLookup({ error: 'ENOTFOUND' })
    const { result } = await connectVia(lookup, port, ROOMY_TIMEOUT_MS, ANSWER_MS, 'connectByName() did not settle, with a lookup that fails at once with ENOTFOUND')
    expect(
      result,
      `the lookup failed with an error whose code is ENOTFOUND (message "getaddrinfo ENOTFOUND ${NAME}"); connectByName() resolved with ${described(result)}. ` +
        "A failed lookup is the one attempt, made on the name: { address: name, code: error.code }",
    ).toEqual({ ok: false, attempts: [{ address: NAME, code: 'ENOTFOUND' }] })
  })

  test("a lookup that never answers: { ok: false, attempts: [{ address: name, code: 'ETIMEDOUT' }] } at timeoutMs", async () => {
    const port = await freeTcpPort('127.0.0.1')
    const lookup = await scriptedLookup({ hold: true })
    const { result, elapsedMs, slackMs } = await connectVia(
      lookup,
      port,
      PENDING_LOOKUP_TIMEOUT_MS,
      PENDING_LOOKUP_TIMEOUT_MS + ANSWER_MS,
      `with timeoutMs = ${PENDING_LOOKUP_TIMEOUT_MS}, connectByName() did not give up on a lookup that never answers (the lookup counts against timeoutMs)`,
    )
    expect(
      result,
      `the lookup never answered, timeoutMs ${PENDING_LOOKUP_TIMEOUT_MS}; connectByName() resolved with ${described(result)}. ` +
        "A lookup still pending at timeoutMs is the one attempt { address: name, code: 'ETIMEDOUT' }",
    ).toEqual({ ok: false, attempts: [{ address: NAME, code: 'ETIMEDOUT' }] })
    expectSettledAtTimeout(elapsedMs, PENDING_LOOKUP_TIMEOUT_MS, slackMs, 'give up on the lookup when timeoutMs has passed')
  })

  test('an empty answer: { ok: false, attempts: [] }', async () => {
    const port = await freeTcpPort('127.0.0.1')
    const lookup = await scriptedLookup({ addresses: [] })
    const { result } = await connectVia(lookup, port, ROOMY_TIMEOUT_MS, ANSWER_MS, 'connectByName() did not settle, with a lookup that answers no address at once')
    expect(
      result,
      `the lookup answered an empty list; connectByName() resolved with ${described(result)}: no address, no attempt`,
    ).toEqual({ ok: false, attempts: [] })
  })

  test('the lookup counts against timeoutMs: a lookup that answers after half of it leaves the other half to the attempts', async () => {
    const { port } = await listenerWithFullAcceptQueue('127.0.0.1')
    const lookup = await scriptedLookup({ addresses: [LOOPBACK_4], hold: true })
    const calling = connectVia(
      lookup,
      port,
      SLOW_LOOKUP_TIMEOUT_MS,
      SLOW_LOOKUP_TIMEOUT_MS + ANSWER_MS,
      `with timeoutMs = ${SLOW_LOOKUP_TIMEOUT_MS}, connectByName() did not give up on 127.0.0.1, which never answers, after a lookup that took ${LOOKUP_HOLD_MS} ms`,
    )
    calling.catch(() => {}) // awaited below, once the lookup has been answered
    await sleep(LOOKUP_HOLD_MS)
    await lookup.control('release')
    const { result, elapsedMs, slackMs } = await calling
    expect(
      result,
      `the lookup answered 127.0.0.1 after ${LOOKUP_HOLD_MS} ms, timeoutMs ${SLOW_LOOKUP_TIMEOUT_MS}, and 127.0.0.1 never answers; connectByName() resolved with ${described(result)}`,
    ).toEqual({ ok: false, attempts: [{ address: '127.0.0.1', code: 'ETIMEDOUT' }] })
    expectSettledAtTimeout(
      elapsedMs,
      SLOW_LOOKUP_TIMEOUT_MS,
      slackMs,
      `timeoutMs counts from the call: the ${LOOKUP_HOLD_MS} ms the lookup took leave the attempt what remains, ${SLOW_LOOKUP_TIMEOUT_MS - LOOKUP_HOLD_MS} ms, not a fresh timeoutMs`,
    )
  })
})
