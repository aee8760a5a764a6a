import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import { describe, expect, test } from 'vitest'
import { kataUnderTest, type TestDoubleHandle } from '#harness/kata-process/kata-under-test.ts'
import { RemoteServer } from '#harness/kata-process/remote.ts'
import { seededPattern, upperCased, type TransformOptions, type TransformReport } from '#harness/kata-process/runtime/test-doubles/transform.ts'
import { kernelSockets, procNetUnavailable, socketsOfThisProcess, type KernelSocket } from '#harness/kernel/proc-net.ts'
import { describeOutcome, outcome, type Outcome } from '#harness/lifecycle/outcome.ts'
import { requireForeignAddress, requireKernelSocketTable } from '#harness/lifecycle/requirements.ts'
import { closeAfterTest } from '#harness/lifecycle/cleanup.ts'
import { DeadlineError, formatDuration, nextEvent, sleep, until, within } from '#harness/lifecycle/within.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { freeTcpPort } from '#harness/sockets/ports.ts'
import { bytesPreview, connectedClient, nextConnection } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./half-close.ts')>(import.meta.url)
const { request } = kata.exports

/** How long anything may take that has nothing to wait for but the other side's answer. */
const ANSWER_MS = 2000
/** A reply that request() can only get whole by collecting every chunk: many times Node's 64 KiB reads. */
const LARGE_REPLY_BYTES = 4 * 1024 * 1024
/** 4 MiB across loopback, then across the channel to the test process, on a machine that may be busy. */
const LARGE_REPLY_MS = 20_000
/** A reply large enough that Node must keep most of it in its own buffer while the kernel's fill: destroy() would lose that part. */
const BIG_REPLY_BYTES = 32 * 1024 * 1024
/**
 * While the 32 MiB come in, the wait for the end of the reply runs out only once no byte has arrived
 * for this long (or after BIG_REPLY_CAP_MS in all): a busy machine slows the bytes down, it does not stop them.
 */
const BIG_REPLY_IDLE_MS = 10_000
const BIG_REPLY_CAP_MS = 60_000
/** Vitest's own limit for the tests of large replies, past their bounds so that a bound's message is the one shown. */
const LARGE_REPLY_TEST_MS = BIG_REPLY_CAP_MS + 15_000
/**
 * Vitest's own limit for a test: a failing one may wait out several bounds (a connection, then a FIN,
 * then an answer), and the message shown must be the first bound's, saying what did not happen.
 */
const TEST_MS = 15_000
/** The seed of the 32 MiB reply the transform double makes; the test computes the same bytes. */
const PATTERN_SEED = 8

// ---------------------------------------------------------------------------------------------------
// request(): the test's server, in the test process, talks to your client in the kata process.

/** A connection the test's server accepted from your client: what it has read, and the client's FIN. */
interface ServerEnd {
  socket: net.Socket
  received(): Buffer
  /** Resolves when the client's FIN has arrived ('end'); bounded by the caller. */
  fin: Promise<void>
}

/**
 * The test's server, and the connection request() makes to it (with what it reads from the start). It
 * is half-open itself (allowHalfOpen): your FIN ends only your direction, and it replies after it.
 */
async function serverForRequest(): Promise<{ port: number; accepted: Promise<ServerEnd> }> {
  const server = closeAfterTest(net.createServer({ allowHalfOpen: true }, (socket) => closeAfterTest(socket.on('error', () => {}))))
  server.listen(0, '127.0.0.1')
  await nextEvent(server, 'listening', ANSWER_MS, "the test's own server never started listening on 127.0.0.1")
  const port = (server.address() as net.AddressInfo).port
  const accepted = nextConnection(server, ANSWER_MS, "the test's server never got a connection from request()").then((socket) => {
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    const fin = new Promise<void>((resolve, reject) => void socket.once('end', resolve).once('error', reject))
    fin.catch(() => {}) // reported where it is awaited
    return { socket, received: () => Buffer.concat(chunks), fin }
  })
  accepted.catch(() => {}) // reported where it is awaited
  return { port, accepted }
}

/**
 * The connection request() made to the test's server. A call that fails before one arrives (it threw,
 * or rejected) fails the test with its own error; one that resolves first is waited on for its
 * connection still, so that the test's checks say what went wrong.
 */
async function connectionOf(replying: PromiseLike<Buffer>, accepted: Promise<ServerEnd>): Promise<ServerEnd> {
  const failedFirst = Promise.resolve(replying).then(() => accepted)
  failedFirst.catch(() => {}) // raced below; a later rejection is the test's to read
  return Promise.race([accepted, failedFirst])
}

/** Waits for the client's FIN after its body, bounded: a client that never half-closes fails here, named. */
async function finFromClient(end: ServerEnd): Promise<void> {
  await within(ANSWER_MS, "the test's server never saw your FIN after the body", end.fin).catch((error: Error) => {
    if (!(error instanceof DeadlineError)) throw error
    throw new DeadlineError(
      `${error.message}: it had received ${described(end.received())}, and waits for the end of the request, which only a FIN marks. ` +
        'request() must half-close (socket.end()) once the body is written',
    )
  })
}

/** The kernel's states for the sockets of your kata process that `which` selects. */
async function kataStates(which: (row: KernelSocket) => boolean): Promise<string[]> {
  return (await kata.sockets('tcp', which)).map((row) => row.state)
}

/** How often a wait on the kernel's tables looks again: each look walks the kernel's whole table of connections. */
const KERNEL_POLL_MS = 20

/**
 * Both ends of the connection between two ports of 127.0.0.1, from one read of /proc/net/tcp: to pace
 * the test (whose bytes are where), never for a verdict. A row the read happened to miss is undefined.
 */
function connectionEnds(serverPort: number, clientPort: number): { server?: KernelSocket; client?: KernelSocket } {
  const rows = kernelSockets('tcp')
  return {
    server: rows.find((row) => row.localPort === serverPort && row.remotePort === clientPort),
    client: rows.find((row) => row.localPort === clientPort && row.remotePort === serverPort),
  }
}

/**
 * The states the kernel shows, polled until they are `expected` or `ms` ran out (a FIN's ACK is on its
 * way for a moment, FIN-WAIT-1 before FIN-WAIT-2): the last states seen.
 */
async function statesSettling(read: () => Promise<string[]> | string[], expected: string[], ms = ANSWER_MS): Promise<string[]> {
  const giveUpAt = performance.now() + ms
  for (;;) {
    const states = await read()
    if (states.join() === expected.join() || performance.now() >= giveUpAt) return states
    await sleep(KERNEL_POLL_MS)
  }
}

/**
 * Three round trips to your kata process, bounded: it handles the test's messages only between turns of
 * your code, so once they are answered, your code has run on whatever had arrived before them.
 */
async function afterYourCodeHasRun(): Promise<void> {
  await within(ANSWER_MS, 'your kata process never answered the test (is your code keeping the CPU busy, in an endless loop?)', kata.roundTripMs())
}

/** "resolved with 5 bytes "hello"", "rejected with ECONNRESET (read ECONNRESET)": how a call of request() ended, in words. */
function settledAs(result: Outcome<Buffer>): string {
  if (result.resolved) return `resolved with ${described(result.value)}`
  const { code, message } = result.error
  return `rejected with ${code ?? 'an error with no code'} (${message})`
}

/** "FIN-WAIT-2", or what stands for no socket at all: the kernel's rows for one connection's end, in words. */
function statesText(states: string[]): string {
  return states.length === 0 ? 'no socket (closed)' : states.join(', ')
}

/** "nothing", or "12 bytes "HELLO"": a Buffer as a message quotes it. */
function described(bytes: Buffer): string {
  return bytes.length === 0 ? 'nothing' : `${bytes.length} bytes ${bytesPreview(bytes)}`
}

describe('request(host, port, body)', { timeout: TEST_MS }, () => {
  test('sends the body, then its FIN: the server reads exactly the body and then the end, and request() resolves with the reply', async () => {
    const { port, accepted } = await serverForRequest()
    const backing = Uint8Array.from(Buffer.from('[[one request\u0000\u00ff, then a FIN]]', 'latin1'))
    const body = new Uint8Array(backing.buffer, 2, backing.length - 4) // a view: its bytes, not the buffer behind it
    const replying = request('127.0.0.1', port, body)
    const end = await connectionOf(replying, accepted)
    await finFromClient(end)
    expect(end.received().toString('hex'), 'the bytes the server received before your FIN (hex): exactly the body, a view into a larger buffer').toBe(
      Buffer.from(body).toString('hex'),
    )
    const reply = Buffer.from('the reply to one request')
    end.socket.end(reply)
    const result = await outcome(ANSWER_MS, 'request() did not settle after the server had sent its reply and closed its side (FIN)', replying)
    expect(settledAs(result), 'request() should resolve with every byte the server sent before its FIN').toBe(`resolved with ${described(reply)}`)
  })

  test("while the server holds its reply, the kernel shows your client in FIN-WAIT-2 and the server's end in CLOSE-WAIT; the reply, sent in two parts, then arrives whole", async (context) => {
    requireKernelSocketTable(context)
    const { port, accepted } = await serverForRequest()
    let settled = 'still pending'
    const replying = request('127.0.0.1', port, Buffer.from('wait for it'))
    Promise.resolve(replying).then(
      (value) => void (settled = `resolved with ${described(value)}`),
      (error: NodeJS.ErrnoException) => void (settled = `rejected with ${error.code ?? error.message}`),
    )
    const end = await connectionOf(replying, accepted)
    await finFromClient(end)
    const clientPort = end.socket.remotePort!
    const clientStates = await statesSettling(() => kataStates((row) => row.localPort === clientPort && row.remotePort === port), ['FIN-WAIT-2'])
    expect(
      statesText(clientStates),
      `your client's socket (${endpoint('127.0.0.1', clientPort)}) in the kernel, once it had sent its FIN and the server had acknowledged it: ` +
        'FIN-WAIT-2 is a half-closed socket waiting for the other side, still able to read',
    ).toBe('FIN-WAIT-2')
    const serverStates = socketsOfThisProcess('tcp', (row) => row.localPort === port && row.remotePort === clientPort).map((row) => row.state)
    expect(statesText(serverStates), "the test's server end in the kernel after your FIN: CLOSE-WAIT (it has read your FIN, and may still send)").toBe('CLOSE-WAIT')
    await afterYourCodeHasRun()
    expect(settled, 'request() while the server has not answered yet: the reply comes after your FIN, so it must wait for it').toBe('still pending')

    end.socket.write('part one, ')
    // The second part goes once Node in your kata process has read the first (or your client has closed the connection).
    await until(
      ANSWER_MS,
      'Node in your kata process never read the first part of the reply (is your code keeping the CPU busy?)',
      () => {
        const { server, client } = connectionEnds(port, clientPort)
        return client === undefined || (client.receiveQueue === 0 && server?.sendQueue === 0)
      },
      KERNEL_POLL_MS,
    )
    const parts = ['part one, ', 'part two'].join('')
    end.socket.end('part two')
    const result = await outcome(ANSWER_MS, 'request() did not settle after the server had sent its reply in two parts and closed its side', replying)
    expect(
      settledAs(result),
      "request() should resolve with the whole reply, both parts: the server closing its side (its FIN, Node's 'end') is what says the reply is complete",
    ).toBe(`resolved with ${described(Buffer.from(parts))}`)
  })

  test('a reply of 4 MiB: resolves with all of it, byte for byte', async () => {
    const { port, accepted } = await serverForRequest()
    const replying = request('127.0.0.1', port, Buffer.from('send me a lot'))
    const end = await connectionOf(replying, accepted)
    await finFromClient(end)
    const reply = randomBytes(LARGE_REPLY_BYTES)
    end.socket.end(reply)
    const result = await outcome(LARGE_REPLY_MS, `request() did not settle after the server had sent ${LARGE_REPLY_BYTES} bytes and closed its side`, replying)
    expect(result.resolved, `request() should resolve once the server has sent its reply and closed: it ${settledAs(result)}`).toBe(true)
    const got = result.resolved ? result.value : Buffer.alloc(0)
    expect(
      got.length,
      `the length of what request() resolved with, for a reply of ${LARGE_REPLY_BYTES} bytes: collect every chunk until the server's FIN, not just the first`,
    ).toBe(LARGE_REPLY_BYTES)
    expect(sha256(got), 'the SHA-256 of what request() resolved with, against that of the reply sent').toBe(sha256(reply))
  }, LARGE_REPLY_TEST_MS)

  test('the server resets the connection after your FIN: rejects with ECONNRESET', async () => {
    const { port, accepted } = await serverForRequest()
    const replying = request('127.0.0.1', port, Buffer.from('this one fails'))
    const end = await connectionOf(replying, accepted)
    await finFromClient(end)
    end.socket.resetAndDestroy() // an RST; nothing of the server's is unread on your side, on any Node version
    const result = await outcome(ANSWER_MS, 'request() did not settle after the server had reset the connection', replying)
    expect(
      settledAs(result),
      "the server reset the connection (an RST) instead of replying: request() should reject with the socket's own error, not resolve as if the reply were complete",
    ).toMatch(/^rejected with ECONNRESET/)
  })

  test('a port where nothing listens: rejects with ECONNREFUSED', async () => {
    const port = await freeTcpPort('127.0.0.1')
    const result = await outcome(ANSWER_MS, `request() to ${endpoint('127.0.0.1', port)}, where nothing listens, did not settle`, request('127.0.0.1', port, Buffer.from('anyone?')))
    expect(settledAs(result), `request() to ${endpoint('127.0.0.1', port)}, where nothing listens: the kernel refuses the connection`).toMatch(
      /^rejected with ECONNREFUSED/,
    )
  })
})

// ---------------------------------------------------------------------------------------------------
// startEofServer(): your server in the kata process; the test's clients, in the test process, talk to it.

/** A client of the test's, connected to your server: what it has received, and how its connection ended. */
interface TestClient {
  socket: net.Socket
  received(): Buffer
  /** How many bytes it has received so far (cheaper than received().length). */
  receivedBytes(): number
  /** 'end' (the server's FIN), or the error's code; set once it happens. */
  ended(): string | undefined
  ending: Promise<string>
}

async function testClient(port: number): Promise<TestClient> {
  const socket = await connectedClient('127.0.0.1', port)
  const chunks: Buffer[] = []
  let bytes = 0
  let how: string | undefined
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    bytes += chunk.length
  })
  const ending = new Promise<string>((resolve) => {
    socket.once('end', () => resolve((how ??= 'end')))
    socket.once('error', (error: NodeJS.ErrnoException) => resolve((how ??= error.code ?? error.message)))
  })
  return { socket, received: () => Buffer.concat(chunks), receivedBytes: () => bytes, ended: () => how, ending }
}

/** How a client's connection ended, bounded: "the reply and then the FIN", say. */
async function endingOf(client: TestClient, whatDidNotHappen: string, ms = ANSWER_MS): Promise<string> {
  return within(ms, whatDidNotHappen, client.ending).catch((error: Error) => {
    if (!(error instanceof DeadlineError)) throw error
    throw new DeadlineError(`${error.message}; ${whatItHad(client)}`)
  })
}

/** "by then the client had received 23 bytes "..." but no FIN after it: ...": what a client waiting for the FIN had. */
function whatItHad(client: TestClient): string {
  const received = client.received()
  const why = received.length > 0 ? ', but no FIN after it: without one the client cannot know the reply is complete (answer with socket.end(reply))' : ''
  return `by then the client had received ${described(received)}${why}`
}

/**
 * How a client's connection ended, for a large reply: the wait runs out once no byte has come for
 * BIG_REPLY_IDLE_MS (or after BIG_REPLY_CAP_MS in all), however slowly a busy machine passes them on.
 */
async function endingOfLargeReply(client: TestClient, whatDidNotHappen: string): Promise<string> {
  const startedAt = performance.now()
  let seen = -1
  let progressAt = startedAt
  for (;;) {
    const how = client.ended()
    if (how) return how
    const now = performance.now()
    if (client.receivedBytes() !== seen) [seen, progressAt] = [client.receivedBytes(), now]
    const idle = now - progressAt >= BIG_REPLY_IDLE_MS
    if (idle || now - startedAt >= BIG_REPLY_CAP_MS) {
      const after = idle ? `no byte for ${formatDuration(BIG_REPLY_IDLE_MS)}` : `in ${formatDuration(BIG_REPLY_CAP_MS)}`
      throw new DeadlineError(`${whatDidNotHappen} (${after}); ${whatItHad(client)}`)
    }
    await sleep(20)
    await new Promise((resolve) => setImmediate(resolve)) // what arrived meanwhile is read (the poll phase) before the next look
  }
}

/** startEofServer() with the transform double made with `options`, and the port its server listens on. */
async function eofServer(options: TransformOptions): Promise<{ double: TestDoubleHandle; port: number }> {
  const double = await kata.testDouble('transform', { ...options })
  const server = await within(ANSWER_MS, 'startEofServer() never settled', kata.exports.startEofServer('127.0.0.1', double.handle as never))
  expect(server, 'startEofServer() should resolve with the net.Server').toBeInstanceOf(RemoteServer)
  const port = (server as RemoteServer).port
  expect(port, `startEofServer() should resolve once the server listens: it resolved with ${server}`).toBeTypeOf('number')
  return { double, port: port! }
}

/** Fails the test with the reason, if your kata process has ended (an unhandled error crashes it, as it would any Node program). */
async function stillRunning(): Promise<void> {
  const process = await kata.running()
  if (process) await within(ANSWER_MS, 'your kata process never answered the test (is your code keeping the CPU busy, in an endless loop?)', process.roundTripMs())
}

async function reportOf(double: TestDoubleHandle): Promise<TransformReport> {
  return within(ANSWER_MS, 'the transform double never answered', double.control('report')) as Promise<TransformReport>
}

/**
 * Waits until your kata process has read what `client` sent (the kernel's word: the client's bytes are
 * acknowledged, and your server's end of the connection has nothing left unread), then for your code to
 * run on it (round trips to the kata process, which answers them only between turns of your code).
 * Without /proc/net, the round trips alone.
 */
async function untilYourServerHasRead(client: TestClient, port: number): Promise<void> {
  if (!procNetUnavailable()) {
    const clientPort = client.socket.localPort!
    const what = `your server never read the ${client.socket.bytesWritten} bytes a client had sent (the kernel still holds them)`
    await until(
      ANSWER_MS,
      what,
      () => {
        const ends = connectionEnds(port, clientPort)
        return ends.server?.receiveQueue === 0 && ends.client?.sendQueue === 0
      },
      KERNEL_POLL_MS,
    )
  }
  await afterYourCodeHasRun()
}

/** Writes `bytes` from `client`, and waits for Node to have handed them to the kernel. */
async function send(client: TestClient, bytes: string): Promise<void> {
  const written = new Promise<void>((resolve, reject) => client.socket.write(bytes, (error) => (error ? reject(error) : resolve())))
  await within(ANSWER_MS, `a test client never managed to send ${JSON.stringify(bytes)}`, written).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof DeadlineError) throw error
    throw new Error(
      `a test client could not send ${JSON.stringify(bytes)}, the rest of its request: ${error.code ?? error.name} (${error.message}). ` +
        `Your server had already closed the connection, before the client's FIN (the client had received ${described(client.received())})`,
    )
  })
}

describe('startEofServer(host, transform)', { timeout: TEST_MS }, () => {
  test('listens on the host given, on a port the OS chose, and answers a request sent in two parts: transform(all of it), then the FIN', async () => {
    const { double, port } = await eofServer({ reply: 'upper-case' })
    if (!procNetUnavailable()) {
      const listening = (await kata.sockets('tcp', (row) => row.state === 'LISTEN')).map((row) => endpoint(row.localAddress, row.localPort))
      expect(listening, 'where your kata process listens, as the kernel shows it').toEqual([endpoint('127.0.0.1', port)])
    }
    const client = await testClient(port)
    await send(client, 'first part, ')
    await untilYourServerHasRead(client, port)
    client.socket.end('second part')
    const how = await endingOf(client, 'the client never saw your server close its side (FIN) after the reply')
    const request = Buffer.from('first part, second part')
    const { calls } = await reportOf(double)
    expect(
      calls.map((call) => `${call.type} of ${call.bytes} bytes ${JSON.stringify(call.text)}`),
      'what transform was called with: once, with a Buffer of everything the client sent before its FIN, both parts',
    ).toEqual([`Buffer of ${request.length} bytes ${JSON.stringify(request.toString())}`])
    expect(
      `${described(client.received())}, then ${how}`,
      "what the client received: transform's reply, then your server's FIN ('end')",
    ).toBe(`${described(upperCased(request))}, then end`)
  })

  test("answers only after the client's FIN: a request without one gets nothing, and transform is not called yet", async () => {
    const { double, port } = await eofServer({ reply: 'upper-case' })
    const client = await testClient(port)
    await send(client, 'my request, no FIN yet')
    await untilYourServerHasRead(client, port)
    const early = await reportOf(double)
    expect(
      early.calls.map((call) => `${call.bytes} bytes ${JSON.stringify(call.text)}`),
      "transform's calls while the client had sent its request but not its FIN: none. The FIN is what says the request is complete; until then more may come",
    ).toEqual([])
    expect(
      `${described(client.received())}${client.ended() ? `, then ${client.ended()}` : ''}`,
      'what the client received before its FIN: nothing yet',
    ).toBe('nothing')
    client.socket.end()
    const how = await endingOf(client, "the client never saw your server close its side (FIN) after the client's own FIN")
    expect(`${described(client.received())}, then ${how}`, "what the client received after its FIN: transform's reply, then your server's FIN").toBe(
      `${described(upperCased(Buffer.from('my request, no FIN yet')))}, then end`,
    )
  })

  test("while transform runs, the client is FIN-WAIT-2 and your server's end CLOSE-WAIT in the kernel; the reply comes once transform settles, then the FIN", async (context) => {
    requireKernelSocketTable(context)
    const { double, port } = await eofServer({ reply: 'upper-case', hold: true })
    const client = await testClient(port)
    const clientPort = client.socket.localPort!
    client.socket.end('take your time')
    await until(ANSWER_MS, "transform was never called after the client's FIN (read until 'end', then call it)", async () => (await reportOf(double)).calls.length > 0)
    await afterYourCodeHasRun()
    expect(
      `${described(client.received())}${client.ended() ? `, then ${client.ended()}` : ''}`,
      "what the client received while transform had not settled: nothing, and no FIN. (Node's default, allowHalfOpen: false, " +
        "ends your side as soon as the client's FIN arrives: net.createServer({ allowHalfOpen: true }) keeps it open for the reply)",
    ).toBe('nothing')
    const clientStates = await statesSettling(() => socketsOfThisProcess('tcp', (row) => row.localPort === clientPort && row.remotePort === port).map((row) => row.state), ['FIN-WAIT-2'])
    expect(statesText(clientStates), "the test client's socket in the kernel: FIN-WAIT-2, its FIN sent and acknowledged, waiting for your side").toBe('FIN-WAIT-2')
    const yourStates = await kataStates((row) => row.localPort === port && row.remotePort === clientPort)
    expect(statesText(yourStates), "your server's end of that connection in the kernel: CLOSE-WAIT, the client's FIN read, your side still open for the reply").toBe(
      'CLOSE-WAIT',
    )
    const released = await within(ANSWER_MS, 'the transform double never answered', double.control('release'))
    expect(released, 'transform calls the test released: the one for this client').toBe(1)
    const how = await endingOf(client, 'the client never saw your server close its side (FIN) once transform had settled')
    expect(`${described(client.received())}, then ${how}`, "what the client received once transform settled: its reply, then your server's FIN").toBe(
      `${described(upperCased(Buffer.from('take your time')))}, then end`,
    )
  })

  test('a reply of 32 MiB reaches the client whole, and only then the FIN', async () => {
    const { port } = await eofServer({ reply: 'pattern', bytes: BIG_REPLY_BYTES, seed: PATTERN_SEED })
    const client = await testClient(port)
    client.socket.end('a big one, please')
    const how = await endingOfLargeReply(client, `the client never saw your server close its side (FIN) after a reply of ${BIG_REPLY_BYTES} bytes`)
    const got = client.received()
    const expected = seededPattern(BIG_REPLY_BYTES, PATTERN_SEED)
    expect(
      `${got.length} bytes, then ${how}`,
      `what the client received for a reply of ${BIG_REPLY_BYTES} bytes: all of them, then your server's FIN. end(reply) sends every byte Node holds before the FIN; ` +
        'destroy() throws away what Node has not yet handed to the kernel',
    ).toBe(`${BIG_REPLY_BYTES} bytes, then end`)
    expect(sha256(got), 'the SHA-256 of what the client received, against that of the reply transform returned').toBe(sha256(expected))
  }, LARGE_REPLY_TEST_MS)

  test("when transform rejects, that client's connection is reset (ECONNRESET); the server keeps listening and answers other clients", async () => {
    const { port } = await eofServer({ reply: 'upper-case', rejectInput: 'fail' })
    const before = await testClient(port)
    await send(before, 'connected before')
    const failing = await testClient(port)
    failing.socket.end('fail')
    const how = await endingOf(failing, 'the client whose request transform rejected never saw its connection end or fail')
    await stillRunning() // a rejection nothing handled ends the kata process, and every connection with it: this says so
    expect(
      `${how} after ${described(failing.received())}`,
      "how the connection ended for the client whose request transform rejected: reset (resetAndDestroy(), an RST: the client gets ECONNRESET). A FIN would pass off nothing for a complete reply",
    ).toBe('ECONNRESET after nothing')
    if (!procNetUnavailable()) {
      const listening = (await kata.sockets('tcp', (row) => row.state === 'LISTEN')).map((row) => endpoint(row.localAddress, row.localPort))
      expect(listening, "where your kata process listens after one connection's transform failed: still where it did").toEqual([endpoint('127.0.0.1', port)])
    }
    before.socket.end(' that one')
    expect(
      `${await endingOf(before, 'a client connected before the failure never saw its reply end')}: ${described(before.received())}`,
      "a client connected before another's transform failed: its own reply, then the FIN",
    ).toBe(`end: ${described(upperCased(Buffer.from('connected before that one')))}`)
    const after = await testClient(port)
    after.socket.end('connected after')
    expect(
      `${await endingOf(after, 'a client connected after the failure never saw its reply end')}: ${described(after.received())}`,
      "a client that connected after another's transform failed: its own reply, then the FIN",
    ).toBe(`end: ${described(upperCased(Buffer.from('connected after')))}`)
  })

  test('two clients at once: each gets the answer to its own request', async () => {
    const { double, port } = await eofServer({ reply: 'upper-case' })
    const first = await testClient(port)
    await send(first, 'first: ')
    await untilYourServerHasRead(first, port)
    const second = await testClient(port)
    await send(second, 'second: ')
    await untilYourServerHasRead(second, port)
    await send(first, 'mine')
    await untilYourServerHasRead(first, port)
    second.socket.end('mine too')
    const secondEnd = await endingOf(second, 'the second client never saw your server close its side after its FIN')
    first.socket.end()
    const firstEnd = await endingOf(first, 'the first client never saw your server close its side after its FIN')
    const { calls } = await reportOf(double)
    expect(
      calls.map((call) => call.text).sort(),
      "what transform was called with: each connection's own bytes, kept apart (keep what a connection has read in that connection's handler)",
    ).toEqual(['first: mine', 'second: mine too'])
    expect(
      [`${described(first.received())}, then ${firstEnd}`, `${described(second.received())}, then ${secondEnd}`],
      'what each client received: the reply to its own request, then the FIN',
    ).toEqual([`${described(upperCased(Buffer.from('first: mine')))}, then end`, `${described(upperCased(Buffer.from('second: mine too')))}, then end`])
  })
  test('a client that resets its connection before its FIN: the error stays with that connection, and the server answers the next client', async () => {
    const { double, port } = await eofServer({ reply: 'upper-case' })
    const resetting = await testClient(port)
    await send(resetting, 'half a request')
    await untilYourServerHasRead(resetting, port) // read, so that the RST comes behind no unread byte: ECONNRESET on every Node
    const clientPort = resetting.socket.localPort!
    resetting.socket.resetAndDestroy()
    if (!procNetUnavailable()) {
      await until(ANSWER_MS, "the kernel never dropped your server's end of the connection the client reset", () => !connectionEnds(port, clientPort).server, KERNEL_POLL_MS)
    }
    await afterYourCodeHasRun()
    await stillRunning() // ECONNRESET on a socket with no 'error' listener ends the kata process: this says so
    const next = await testClient(port)
    next.socket.end('next one')
    expect(
      `${await endingOf(next, 'the client that came after the reset one never saw its reply end')}: ${described(next.received())}`,
      "a client that came after another reset its connection: its own reply, then the FIN (an error on one connection is that connection's: give each socket an 'error' listener)",
    ).toBe(`end: ${described(upperCased(Buffer.from('next one')))}`)
    const { calls } = await reportOf(double)
    expect(calls.map((call) => call.text), 'what transform was called with: the reset connection never sent its FIN, so only the next client\'s request').toEqual(['next one'])
  })

  test('an address this machine does not have: rejects with EADDRNOTAVAIL', async (context) => {
    const foreign = requireForeignAddress(context)
    const double = await kata.testDouble('transform', { reply: 'upper-case' })
    const result = await outcome(ANSWER_MS, `startEofServer('${foreign}') never settled`, kata.exports.startEofServer(foreign, double.handle as never))
    expect(
      result.resolved ? describeOutcome(result) : `rejected with ${result.error.code}`,
      `startEofServer('${foreign}'): ${foreign} is not an address of this machine, so listen() fails; reject with that error (listen for 'error' until listen()'s callback)`,
    ).toBe('rejected with EADDRNOTAVAIL')
  })
})

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}
