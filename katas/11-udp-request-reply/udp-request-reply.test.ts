import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import net from 'node:net'
import { describe, expect, test } from 'vitest'
import { kataUnderTest } from '#harness/kata-process/kata-under-test.ts'
import { RemoteUdpSocket } from '#harness/kata-process/remote.ts'
import { procNetUnavailable, type KernelSocket } from '#harness/kernel/proc-net.ts'
import { closeAfterTest } from '#harness/lifecycle/cleanup.ts'
import { isHarnessError } from '#harness/lifecycle/harness-error.ts'
import { requireAddress, requireForeignAddress, requireKernelSocketTable, requireUdpDatagramsOf } from '#harness/lifecycle/requirements.ts'
import { DeadlineError, formatDuration, nextEvent, until, within } from '#harness/lifecycle/within.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { freeUdpPort } from '#harness/sockets/ports.ts'
import { bytesPreview } from '#harness/sockets/tcp-peers.ts'
import { udpReceiver } from '#harness/sockets/udp-peers.ts'

const kata = await kataUnderTest<typeof import('./udp-request-reply.ts')>(import.meta.url)
const { startUdpEcho, udpRequest } = kata.exports

/** How long an answer may take when nothing in it has to wait: a bind, a send, a reply over loopback. */
const ANSWER_MS = 2000
/** How long an echoed datagram may take to come back to the test's client. */
const REPLY_MS = 2000
/** How long a failing test looks further, to say where the replies went. */
const PROBE_MS = 1000
/** A closed port over loopback is one ICMP message away: a few ms here, idle (see the lesson). */
const REFUSED_MS = 500
/** The timeoutMs of a request whose answer is a refusal: a socket that never hears of it times out instead, and says so. */
const REFUSED_TIMEOUT_MS = 2000
/** The timeoutMs of a request to a peer that never answers. */
const SILENT_TIMEOUT_MS = 300
/** How much later than timeoutMs the result may reach the test: a timer fires a little late. */
const LATE_MS = 100
/** The timeoutMs of a request that gets its reply: its timer must still be pending when the test ends, unless it was cleared. */
const ANSWERED_TIMEOUT_MS = 5000
/**
 * On a busy machine every answer comes later, the learner's code no slower for it: every wait on it
 * grows by this many times the slowest of three round trips to the kata process, measured before the
 * call; the checks on how soon a result came also take the longest stall during the call (a round trip
 * every BUSY_SAMPLE_MS, and how late the test's own sampling timer fired) and the round trips after it:
 * well under a millisecond idle, tens of ms with both cores busy, hundreds at a load average of 17.
 */
const BUSY_FACTOR = 4
const BUSY_SAMPLE_MS = 20
/** The largest UDP payload in one IPv4 datagram: 65535 - 20 (IP header) - 8 (UDP header). */
const LARGEST_IPV4_PAYLOAD = 65507
/** Vitest's own limit for a test, past every bound inside it, so that theirs is the message shown. */
const TEST_MS = 15_000

interface Endpoint {
  address: string
  port: number
}

/** The echo under test: where it listens, and what a busy machine adds to each wait on it (see BUSY_FACTOR). */
interface Echo extends Endpoint {
  slackMs: number
}

// ---------------------------------------------------------------------------------------------------
// The echo: startUdpEcho() in the kata process, and clients of the test's sending to it.
// ---------------------------------------------------------------------------------------------------

/**
 * startUdpEcho(host), bounded: where the echo listens (the host asked for, the port its socket is
 * bound to). The busy machine's allowance is measured once, here, before any of your code runs: a
 * round trip later in the test would start a fresh kata process if yours had crashed, and hide why.
 */
async function startEcho(host: string): Promise<Echo> {
  const slackMs = Math.ceil(BUSY_FACTOR * (await kata.roundTripMs()))
  let socket: unknown
  try {
    socket = await within(ANSWER_MS + slackMs, `startUdpEcho('${host}') never settled (binding a UDP socket waits for no one)`, startUdpEcho(host))
  } catch (error) {
    if (isHarnessError(error) || !(error as NodeJS.ErrnoException).code) throw error
    const { code, message } = error as NodeJS.ErrnoException
    const family = net.isIPv6(host) ? "'udp6' for an IPv6 address" : "'udp4' for an IPv4 address"
    throw new Error(
      `startUdpEcho('${host}') rejected with ${code} (${message}): a UDP socket can bind to ${host}, any port, here, ` +
        `if its family is the address's: ${family} (net.isIPv6(host) tells them apart)`,
    )
  }
  expect(socket, 'startUdpEcho() should resolve with the dgram.Socket it bound').toBeInstanceOf(RemoteUdpSocket)
  const { address } = (socket as RemoteUdpSocket).facts
  expect(address, "the socket startUdpEcho() resolved with was not bound yet: resolve once it is (bind()'s callback, or 'listening')").not.toBeNull()
  return { address: host, port: address!.port, slackMs }
}

/** A client of the test's: a UDP socket bound to `localAddress` and connect()ed to the echo, recording what it gets. */
interface Client {
  /** "127.0.0.1:41234": where it is bound. */
  name: string
  address: string
  port: number
  replies: Buffer[]
  /** The errors its socket reported ("ECONNREFUSED"): a connected UDP socket hears of ICMP errors, from its next send() or as an 'error' event. */
  errors: string[]
  /** Sends one datagram; an error is recorded, not thrown (an ICMP error about an earlier datagram can come back from send()). */
  send(payload: string | Uint8Array): Promise<void>
}

function udpSocketFor(address: string): dgram.Socket {
  return closeAfterTest(dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4'))
}

async function bound(socket: dgram.Socket, address: string, port = 0): Promise<dgram.Socket> {
  socket.bind(port, address)
  await nextEvent(socket, 'listening', ANSWER_MS, `a UDP socket of the test's never bound to ${endpoint(address, port)}`)
  return socket
}

async function clientOf(localAddress: string, echo: Endpoint): Promise<Client> {
  const socket = udpSocketFor(localAddress)
  const replies: Buffer[] = []
  const errors: string[] = []
  socket.on('message', (datagram) => replies.push(datagram))
  socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message))
  await bound(socket, localAddress)
  socket.connect(echo.port, echo.address)
  await nextEvent(socket, 'connect', ANSWER_MS, `a UDP client of the test's never connected to ${endpoint(echo.address, echo.port)}`)
  const { port } = socket.address()
  return {
    name: endpoint(localAddress, port),
    address: localAddress,
    port,
    replies,
    errors,
    send: (payload) =>
      within(ANSWER_MS, "a datagram of the test's client was never sent", sendOn(socket, payload)).catch((error: unknown) => {
        const { code } = error as NodeJS.ErrnoException
        if (isHarnessError(error) || !code) throw error
        errors.push(code)
      }),
  }
}

function sendOn(socket: dgram.Socket, payload: string | Uint8Array, to?: Endpoint): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null) => (error ? reject(error) : resolve())
    if (to) socket.send(payload, to.port, to.address, done)
    else socket.send(payload, done)
  })
}

/** Waits until `condition()` holds, at most `ms`: whether it did. */
async function eventually(ms: number, condition: () => boolean): Promise<boolean> {
  try {
    await until(ms, 'the condition never held', condition)
    return true
  } catch (error) {
    if (error instanceof DeadlineError) return false
    throw error
  }
}

/** The client sends `payload` and waits for as many replies as it has sent; fails, saying where replies went, if none comes. */
async function exchange(client: Client, echo: Echo, payload: string | Uint8Array): Promise<Buffer> {
  const before = client.replies.length
  await client.send(payload)
  if (await eventually(REPLY_MS + echo.slackMs, () => client.replies.length > before)) return client.replies[before]!
  throw new Error(`${noReply(client, echo)}. ${await whatAnUnconnectedSocketGets(client.address, echo)}`)
}

function noReply(client: Client, echo: Echo): string {
  const errors = client.errors.length > 0 ? ` (its socket reported ${client.errors.join(', ')})` : ''
  const waited = formatDuration(REPLY_MS + echo.slackMs)
  return `the test's client on ${client.name}, connect()ed to the echo at ${endpoint(echo.address, echo.port)}, got no reply within ${waited}${errors}`
}

/** For a failure message: what a socket of the test's that is not connected, and so takes datagrams from anyone, gets back from the echo. */
async function whatAnUnconnectedSocketGets(localAddress: string, echo: Echo): Promise<string> {
  const probe = await bound(udpSocketFor(localAddress), localAddress)
  probe.on('error', () => {})
  const reply = new Promise<dgram.RemoteInfo>((resolve) => probe.once('message', (_, from) => resolve(from)))
  await sendOn(probe, 'where do replies come from?', echo)
  const from = await within(PROBE_MS + echo.slackMs, 'no reply', reply).catch(() => undefined)
  if (!from) return `A socket of the test's that is not connected, and so takes datagrams from anyone, got no reply either within ${formatDuration(PROBE_MS + echo.slackMs)}`
  if (from.port === echo.port) return `A socket of the test's that is not connected got its reply, from ${endpoint(from.address, from.port)}`
  return (
    `A socket of the test's that is not connected got the reply, but from ${endpoint(from.address, from.port)}, not from the echo's own port ` +
    `${endpoint(echo.address, echo.port)}: a client that connect()ed its socket to the echo (as udpRequest() does, as most UDP clients do) ` +
    'gets only the datagrams that come from that address and port, and its kernel drops the rest. Reply with the socket the request came in on'
  )
}

/** A socket of the test's bound to address:port, recording where datagrams to it came from; undefined if that port is taken there. */
async function catcherOn(address: string, port: number): Promise<Endpoint[] | undefined> {
  const socket = udpSocketFor(address)
  const senders: Endpoint[] = []
  socket.on('message', (_, from) => senders.push({ address: from.address, port: from.port }))
  return bound(socket, address, port).then(
    () => senders,
    () => undefined,
  )
}

/** ["a1", "b1"] as a sentence shows it: [a1, b1], or nothing. */
function listed(items: string[]): string {
  return items.length > 0 ? `[${items.join(', ')}]` : 'nothing'
}

/** "UNCONN 127.0.0.1:41234", "ESTAB 127.0.0.1:41234 -> 127.0.0.1:5000": a row of /proc/net/udp as ss shows it. */
function describeRow(row: KernelSocket): string {
  const local = endpoint(row.localAddress, row.localPort)
  return row.state === 'ESTAB' ? `ESTAB ${local} -> ${endpoint(row.remoteAddress, row.remotePort)}` : `${row.state} ${local}`
}

describe('startUdpEcho(host)', { timeout: TEST_MS }, () => {
  test('replies from the socket that got the request: a client connect()ed to the echo gets each datagram back', async () => {
    const echo = await startEcho('127.0.0.1')
    const client = await clientOf('127.0.0.1', echo)
    await exchange(client, echo, 'first')
    await exchange(client, echo, 'second datagram')
    expect(client.replies.map(String), `what the test's client on ${client.name} got back for "first", then "second datagram"`).toEqual(['first', 'second datagram'])
  })

  test('replies to the exact address and port a datagram came from: a client bound to 127.0.0.2 gets its echo', async (context) => {
    await requireAddress(context, '127.0.0.2')
    const echo = await startEcho('127.0.0.1')
    const client = await clientOf('127.0.0.2', echo)
    // Where a reply goes that keeps the port and drops the address: send() with no address sends to 127.0.0.1.
    const misdirected = await catcherOn('127.0.0.1', client.port)
    await client.send('from 127.0.0.2')
    if (!(await eventually(REPLY_MS + echo.slackMs, () => client.replies.length > 0))) {
      const where =
        misdirected && misdirected.length > 0
          ? `The reply went to ${endpoint('127.0.0.1', client.port)}: the right port on the wrong address. Reply to the address the datagram ` +
            "came from (rinfo.address) as well as its port: send() with no address sends to 127.0.0.1 (::1 for a udp6 socket)"
          : await whatAnUnconnectedSocketGets('127.0.0.2', echo)
      throw new Error(`${noReply(client, echo)}. ${where}`)
    }
    expect(client.replies.map(String), `what the client on ${client.name} got back`).toEqual(['from 127.0.0.2'])
  })

  test('two clients, interleaved: each gets its own datagrams back, and only its own', async () => {
    const echo = await startEcho('127.0.0.1')
    const a = await clientOf('127.0.0.1', echo)
    const b = await clientOf('127.0.0.1', echo)
    await exchange(a, echo, 'a1')
    await b.send('b1')
    await a.send('a2')
    await b.send('b2')
    await eventually(REPLY_MS + echo.slackMs, () => a.replies.length >= 2 && b.replies.length >= 2)
    const refused = [a, b].filter((client) => client.errors.includes('ECONNREFUSED')).map((client) => client.name)
    const why =
      refused.length > 0
        ? `. ${refused.join(' and ')} got ECONNREFUSED: the echo's kernel answered with an ICMP port unreachable, as it does when no socket ` +
          'will take a datagram. A UDP socket that connect()s takes datagrams from its one peer only: a server that talks to many must not connect'
        : ''
    const got = { A: a.replies.map(String), B: b.replies.map(String) }
    expect(
      got,
      `what each client got back (A on ${a.name}, B on ${b.name}) after A sent "a1", then B "b1", A "a2", B "b2": A got ${listed(got.A)}, ` +
        `B got ${listed(got.B)}; each reply goes back to where the datagram it echoes came from${why}`,
    ).toEqual({ A: ['a1', 'a2'], B: ['b1', 'b2'] })
  })

  test('a zero-length datagram is echoed as a zero-length datagram', async () => {
    const echo = await startEcho('127.0.0.1')
    const client = await clientOf('127.0.0.1', echo)
    const reply = await exchange(client, echo, new Uint8Array(0))
    expect(reply.length, 'the size of the reply to an empty datagram: a datagram of 0 bytes is still a datagram, and its echo is one too').toBe(0)
  })

  test(`a ${LARGEST_IPV4_PAYLOAD}-byte datagram, the most one IPv4 datagram carries, is echoed whole`, async (context) => {
    requireUdpDatagramsOf(context, LARGEST_IPV4_PAYLOAD)
    const echo = await startEcho('127.0.0.1')
    const client = await clientOf('127.0.0.1', echo)
    const payload = randomBytes(LARGEST_IPV4_PAYLOAD)
    const reply = await exchange(client, echo, payload)
    expect(reply.length, `the size of the reply to one ${LARGEST_IPV4_PAYLOAD}-byte datagram`).toBe(LARGEST_IPV4_PAYLOAD)
    expect(Buffer.compare(reply, payload), 'the reply should hold exactly the bytes sent').toBe(0)
  })

  test('echoes over IPv6 as well, on ::1', async (context) => {
    await requireAddress(context, '::1')
    const echo = await startEcho('::1')
    const client = await clientOf('::1', echo)
    await exchange(client, echo, 'over IPv6')
    expect(client.replies.map(String), `what the client on ${client.name} got back`).toEqual(['over IPv6'])
  })

  test('the kernel shows one UDP socket of yours, bound to the address asked for and connected to no client', async (context) => {
    requireKernelSocketTable(context)
    const echo = await startEcho('127.0.0.1')
    const a = await clientOf('127.0.0.1', echo)
    const b = await clientOf('127.0.0.1', echo)
    await exchange(a, echo, 'from A')
    await b.send('from B')
    await eventually(REPLY_MS + echo.slackMs, () => b.replies.length > 0)
    const rows = (await kata.sockets('udp')).map(describeRow)
    expect(
      rows,
      `the UDP sockets your kata process holds, as the kernel shows them (/proc/net/udp), after echoing two clients: ${listed(rows)}. ` +
        `It should hold the echo's one socket, bound to 127.0.0.1 port ${echo.port} and UNCONN, not ESTAB: a UDP socket connected ` +
        'to a peer takes datagrams from that one peer only',
    ).toEqual([`UNCONN ${endpoint('127.0.0.1', echo.port)}`])
    expect(b.replies.map(String), `what the second client, on ${b.name}, got back`).toEqual(['from B'])
  })

  test('an address this machine does not have: rejects with EADDRNOTAVAIL, its socket closed', async (context) => {
    const foreign = requireForeignAddress(context)
    const slackMs = Math.ceil(BUSY_FACTOR * (await kata.roundTripMs()))
    const call = startUdpEcho(foreign)
    const outcome = await within(
      ANSWER_MS + slackMs,
      `startUdpEcho('${foreign}') never settled: binding to an address this machine does not have fails at once, with an 'error' event`,
      call.then(
        () => 'resolved',
        (error: unknown) => {
          if (isHarnessError(error)) throw error
          return `rejected with ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`
        },
      ),
    )
    expect(outcome, `startUdpEcho('${foreign}'): ${foreign} is not an address of this machine, so bind() fails; reject with that error (listen for 'error' until bind()'s callback)`).toBe(
      'rejected with EADDRNOTAVAIL',
    )
    const { observed } = await call.settlement
    expect(
      observed.openAtSettle,
      `sockets still open when startUdpEcho('${foreign}') rejected: ${listed(observed.openAtSettle)}. A socket whose bind failed is still a socket: close it before rejecting`,
    ).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------------
// The request: udpRequest() in the kata process, and peers of the test's answering it, or not.
// ---------------------------------------------------------------------------------------------------

type Reply = Awaited<ReturnType<typeof udpRequest>>

interface Requested {
  result: Reply
  elapsedMs: number
  /** What a busy machine adds to a bound on how soon the result comes (see BUSY_FACTOR). */
  slackMs: number
  /** The call's sockets still open when it settled: what the kata process saw then, and the kernel right after. */
  openWhenSettled: string[]
}

/**
 * udpRequest(), bounded by `boundMs` (and the busy machine's allowance); a rejection fails the test:
 * network trouble is reported in the result, never thrown.
 */
async function request(host: string, port: number, payload: Uint8Array, timeoutMs: number, boundMs: number, whatDidNotHappen: string): Promise<Requested> {
  const busyBefore = await kata.roundTripMs()
  const started = performance.now()
  const call = udpRequest(host, port, payload, timeoutMs)
  const busyDuring = kata.longestStallWhile(call, BUSY_SAMPLE_MS)
  let result: Reply
  try {
    result = await within(boundMs + Math.ceil(BUSY_FACTOR * busyBefore), whatDidNotHappen, call)
  } catch (error) {
    if (isHarnessError(error) || !(error as NodeJS.ErrnoException).code) throw error
    const { code, message } = error as NodeJS.ErrnoException
    throw new Error(
      `udpRequest() rejected with ${code} (${message}): network trouble must be reported, not thrown; resolve with { ok: false, code: '${code}' }`,
    )
  }
  const elapsedMs = performance.now() - started
  const slackMs = Math.ceil(BUSY_FACTOR * Math.max(busyBefore, await busyDuring, await kata.roundTripMs()))
  const kernel = procNetUnavailable() ? [] : (await kata.sockets('udp')).map((row) => `a UDP socket bound to ${endpoint(row.localAddress, row.localPort)}`)
  const { observed } = await call.settlement
  return { result, elapsedMs, slackMs, openWhenSettled: [...new Set([...observed.openAtSettle, ...kernel])] }
}

/** A result as the test compares it: bytes as a preview, so that a failure shows them. */
function shown(result: Reply | { ok: true; reply: Buffer } | { ok: false; code: string }): unknown {
  if (result === null || typeof result !== 'object') return result
  if (result.ok === true && Buffer.isBuffer(result.reply)) return { ok: true, reply: `${result.reply.length} bytes ${bytesPreview(result.reply)}` }
  return result
}

/** "{ ok: true, reply: 17 bytes "reply to question" }": a result as a sentence quotes it. */
function inWords(result: Reply): string {
  const value = shown(result)
  if (value === null || typeof value !== 'object') return String(value)
  return `{ ${Object.entries(value)
    .map(([key, item]) => `${key}: ${typeof item === 'string' && key === 'code' ? `'${item}'` : String(item)}`)
    .join(', ')} }`
}

function expectClosed(openWhenSettled: string[], outcome: string): void {
  expect(
    openWhenSettled,
    `sockets still open when udpRequest() resolved ${outcome}: ${listed(openWhenSettled)}. Close the socket before resolving, whatever the outcome`,
  ).toEqual([])
}

/** A request to a port where nothing is bound should come back refused: only a connected socket hears the kernel say so. */
function expectRefused(result: Reply, to: string, elapsedMs: number): void {
  expect(
    shown(result),
    `a request to ${to}, where nothing is bound, resolved after ${formatDuration(elapsedMs)} with ${inWords(result)}. ` +
      "The kernel there answers with an ICMP port unreachable, but only a connected UDP socket hears of it (as ECONNREFUSED, an 'error' event): " +
      'connect() the socket to host:port, then send()',
  ).toEqual({ ok: false, code: 'ECONNREFUSED' })
}

interface Responder extends Endpoint {
  /** Every datagram it received, in order. */
  requests: Buffer[]
  /** What went wrong on its side (a reply that could not be sent). */
  errors: string[]
}

/**
 * The test's UDP peer: answers every datagram with `answer(request)`, from its own socket, to the
 * address and port it came from; `before(from)` runs first (a spoofed datagram, say).
 */
async function responder(host: string, answer: (request: Buffer) => Buffer, before?: (from: Endpoint) => Promise<void>): Promise<Responder> {
  const socket = await bound(udpSocketFor(host), host)
  const requests: Buffer[] = []
  const errors: string[] = []
  socket.on('error', (error) => errors.push(error.message))
  socket.on('message', (datagram, from) => {
    requests.push(datagram)
    void (async () => {
      await before?.({ address: from.address, port: from.port })
      await sendOn(socket, answer(datagram), { address: from.address, port: from.port })
    })().catch((error: Error) => errors.push(error.message))
  })
  return { address: host, port: socket.address().port, requests, errors }
}

/** The limited broadcast address: connect() to it fails unless the socket has SO_BROADCAST. */
const BROADCAST = '255.255.255.255'
/** The discard port: where a datagram to BROADCAST would have gone, had connect() let it. */
const DISCARD_PORT = 9

/** The error code connect() gives a UDP socket of the test's for `address` here (EACCES, or ENETUNREACH with no route). */
async function connectErrorOf(address: string): Promise<string> {
  const socket = dgram.createSocket('udp4')
  try {
    const error = await within(
      ANSWER_MS,
      `connect() of a UDP socket of the test's to ${address} never called back`,
      new Promise<Error | undefined>((resolve) => {
        socket.once('error', resolve).once('connect', () => resolve(undefined))
        socket.connect(DISCARD_PORT, address) // with no callback, a failed connect() is an 'error' event
      }),
    )
    if (!error) throw new Error(`connect() to ${address} succeeded here, so this test has no failing connect() to offer`)
    return (error as NodeJS.ErrnoException).code ?? error.message
  } finally {
    socket.close()
  }
}

const answerWith = (prefix: string) => (request: Buffer) => Buffer.concat([Buffer.from(prefix), request])

describe('udpRequest(host, port, payload, timeoutMs)', { timeout: TEST_MS }, () => {
  test("one datagram out, the peer's reply back: resolves with { ok: true, reply }, its socket already closed", async () => {
    const peer = await responder('127.0.0.1', answerWith('reply to '))
    const payload = Buffer.from('question')
    const { result, openWhenSettled } = await request(
      '127.0.0.1',
      peer.port,
      payload,
      ANSWERED_TIMEOUT_MS,
      ANSWER_MS,
      `udpRequest() to a peer that replies at once did not settle (timeoutMs was ${ANSWERED_TIMEOUT_MS})`,
    )
    expect(peer.requests.map(String), `the datagrams the peer on ${endpoint('127.0.0.1', peer.port)} received`).toEqual(['question'])
    expect(shown(result), "udpRequest()'s result: the peer's reply, whole, as a Buffer").toEqual(shown({ ok: true, reply: Buffer.from('reply to question') }))
    expectClosed(openWhenSettled, 'with the reply')
  })

  test("a closed port: resolves with { ok: false, code: 'ECONNREFUSED' } within 500 ms, from the kernel's ICMP port unreachable", async () => {
    const port = await freeUdpPort('127.0.0.1')
    const { result, elapsedMs, slackMs, openWhenSettled } = await request(
      '127.0.0.1',
      port,
      Buffer.from('anyone there?'),
      REFUSED_TIMEOUT_MS,
      REFUSED_TIMEOUT_MS + ANSWER_MS,
      `udpRequest() to ${endpoint('127.0.0.1', port)}, where nothing is bound, did not settle, even after its timeoutMs (${REFUSED_TIMEOUT_MS} ms)`,
    )
    expectRefused(result, endpoint('127.0.0.1', port), elapsedMs)
    expect(
      elapsedMs,
      `the refusal took ${formatDuration(elapsedMs)} to be reported: the ICMP message comes back at once, so resolve as soon as the 'error' event comes`,
    ).toBeLessThan(REFUSED_MS + slackMs)
    expectClosed(openWhenSettled, 'with ECONNREFUSED')
  })

  test("a silent peer: resolves with { ok: false, code: 'ETIMEDOUT' }, not before timeoutMs and not much later, its socket closed", async () => {
    const receiver = await udpReceiver('127.0.0.1')
    const { result, elapsedMs, slackMs, openWhenSettled } = await request(
      '127.0.0.1',
      receiver.port,
      Buffer.from('hello?'),
      SILENT_TIMEOUT_MS,
      SILENT_TIMEOUT_MS + ANSWER_MS,
      `with timeoutMs = ${SILENT_TIMEOUT_MS}, udpRequest() to a peer that never replies did not give up (UDP itself never does: nothing in it waits for a reply)`,
    )
    expect(shown(result), `a request the peer never answered, with timeoutMs = ${SILENT_TIMEOUT_MS}`).toEqual({ ok: false, code: 'ETIMEDOUT' })
    expect(elapsedMs, `it gave up after ${formatDuration(elapsedMs)}, before timeoutMs (${SILENT_TIMEOUT_MS} ms)`).toBeGreaterThanOrEqual(SILENT_TIMEOUT_MS - 1)
    expect(
      elapsedMs,
      `it gave up after ${formatDuration(elapsedMs)}, well after timeoutMs (${SILENT_TIMEOUT_MS} ms): give up when timeoutMs has passed, not later`,
    ).toBeLessThanOrEqual(SILENT_TIMEOUT_MS + LATE_MS + slackMs)
    const datagrams = await receiver.everythingSent(ANSWER_MS, 'the silent peer never got the request')
    expect(datagrams.map(String), 'the datagrams the silent peer received: one request, one datagram').toEqual(['hello?'])
    expectClosed(openWhenSettled, 'with ETIMEDOUT')
  })

  test("a datagram from another port, arriving first, is not the reply: only the peer's own counts", async () => {
    const spoofer = await bound(udpSocketFor('127.0.0.1'), '127.0.0.1')
    spoofer.on('error', () => {})
    const spooferAt = endpoint('127.0.0.1', spoofer.address().port)
    const peer = await responder('127.0.0.1', () => Buffer.from('the real reply'), async (client) => {
      await sendOn(spoofer, 'spoofed', client)
      await kata.roundTripMs() // the kata process has read the spoofed datagram by now, if its socket took it
    })
    const { result } = await request(
      '127.0.0.1',
      peer.port,
      Buffer.from('question'),
      ANSWERED_TIMEOUT_MS,
      ANSWER_MS,
      'udpRequest() to a peer that replies, after a datagram from another port, did not settle',
    )
    expect(peer.errors, "the peer's side").toEqual([])
    expect(
      shown(result),
      `udpRequest() to ${endpoint('127.0.0.1', peer.port)}: the test first sent "spoofed" to your socket from ${spooferAt}, another port than the ` +
        `peer's, then the peer sent "the real reply", and it resolved with ${inWords(result)}. Only a datagram from exactly host:port is the reply: ` +
        "a connected socket's kernel drops the rest",
    ).toEqual(shown({ ok: true, reply: Buffer.from('the real reply') }))
  })

  test('an empty payload goes out as one empty datagram, and an empty reply resolves with { ok: true, reply } of 0 bytes', async () => {
    const peer = await responder('127.0.0.1', () => Buffer.alloc(0))
    const { result, openWhenSettled } = await request(
      '127.0.0.1',
      peer.port,
      new Uint8Array(0),
      ANSWERED_TIMEOUT_MS,
      ANSWER_MS,
      'udpRequest() of an empty payload, to a peer that replies with an empty datagram, did not settle: a datagram of 0 bytes is still a datagram',
    )
    expect(peer.requests.map((request) => request.length), 'the sizes of the datagrams the peer received').toEqual([0])
    expect(shown(result), 'the result for an empty reply').toEqual(shown({ ok: true, reply: Buffer.alloc(0) }))
    expectClosed(openWhenSettled, 'with the reply')
  })

  test(`another send error is a result too: ${LARGEST_IPV4_PAYLOAD + 1} bytes to 127.0.0.1 resolve with { ok: false, code: 'EMSGSIZE' }, never a rejection`, async () => {
    const receiver = await udpReceiver('127.0.0.1')
    const { result, openWhenSettled } = await request(
      '127.0.0.1',
      receiver.port,
      new Uint8Array(LARGEST_IPV4_PAYLOAD + 1),
      ANSWERED_TIMEOUT_MS,
      ANSWER_MS,
      `udpRequest() of ${LARGEST_IPV4_PAYLOAD + 1} bytes, one more than an IPv4 datagram holds, did not settle: ` +
        "the send fails at once with EMSGSIZE (in send()'s callback), and that is the result",
    )
    expect(shown(result), `a request of ${LARGEST_IPV4_PAYLOAD + 1} bytes to 127.0.0.1`).toEqual({ ok: false, code: 'EMSGSIZE' })
    expectClosed(openWhenSettled, 'with EMSGSIZE')
  })

  test("a connect() that fails is a result too: the broadcast address without SO_BROADCAST resolves with { ok: false, code }, the code connect() gave", async () => {
    const expected = await connectErrorOf(BROADCAST)
    const { result, openWhenSettled } = await request(
      BROADCAST,
      DISCARD_PORT,
      Buffer.from('to everyone?'),
      ANSWERED_TIMEOUT_MS,
      ANSWER_MS,
      `udpRequest('${BROADCAST}', ...) did not settle: connect() to it fails at once (its callback gets the error), and that is the result`,
    )
    expect(
      shown(result),
      `a request to ${BROADCAST}: connect() there fails with ${expected} here (EACCES: a socket needs SO_BROADCAST to talk to a broadcast address; ` +
        "ENETUNREACH where there is no route at all), and connect()'s callback is where Node reports it",
    ).toEqual({ ok: false, code: expected })
    expectClosed(openWhenSettled, `with ${expected}`)
  })

  test('works over IPv6 as well: a reply, and a refusal, on ::1', async (context) => {
    await requireAddress(context, '::1')
    const peer = await responder('::1', answerWith('over IPv6: '))
    const answered = await request('::1', peer.port, Buffer.from('hello'), ANSWERED_TIMEOUT_MS, ANSWER_MS, 'udpRequest() to a peer on ::1 did not settle')
    expect(shown(answered.result), `a request to ${endpoint('::1', peer.port)}`).toEqual(shown({ ok: true, reply: Buffer.from('over IPv6: hello') }))
    const port = await freeUdpPort('::1')
    const refused = await request(
      '::1',
      port,
      Buffer.from('anyone there?'),
      REFUSED_TIMEOUT_MS,
      REFUSED_TIMEOUT_MS + ANSWER_MS,
      `udpRequest() to ${endpoint('::1', port)}, where nothing is bound, did not settle`,
    )
    expectRefused(refused.result, endpoint('::1', port), refused.elapsedMs)
  })
})
