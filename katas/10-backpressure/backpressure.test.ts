import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { isDeepStrictEqual } from 'node:util'
import { describe, expect, test } from 'vitest'
import { kataUnderTest, type KataCall } from '#harness/kata-process/kata-under-test.ts'
import type { RemoteSocket } from '#harness/kata-process/remote.ts'
import { seededBytes, VIEW_MARGIN, type ChunkSourceOptions, type ChunkSourceReport } from '#harness/kata-process/runtime/test-doubles/chunk-source.ts'
import { procNetUnavailable, socketsOfThisProcess } from '#harness/kernel/proc-net.ts'
import { isHarnessError } from '#harness/lifecycle/harness-error.ts'
import { DeadlineError, until, within } from '#harness/lifecycle/within.ts'
import { bytesPreview, nextConnection, testServer } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./backpressure.ts')>(import.meta.url)
const { writeAll } = kata.exports

const CONNECT_MS = 2000
/** For writeAll() to settle once nothing more is in its way (a small transfer, a reset, a destroy, a chunk released). */
const SETTLE_MS = 2000
/** For a transfer of many MiB over loopback, on a machine that may be busy. */
const TRANSFER_MS = 10_000
/** For the kernel's queues to fill and stop changing while the peer reads nothing. */
const FILL_MS = 10_000
/** Between two readings that must agree for the queues to count as no longer changing. */
const STEADY_GAP_MS = 50
/** Vitest's own limits, past the tests' own bounds so that theirs is the message shown. */
const SETTLE_TEST_MS = 3 * SETTLE_MS + 5000
const TRANSFER_TEST_MS = 2 * TRANSFER_MS + 5000
const FILL_TEST_MS = FILL_MS + 2 * TRANSFER_MS + 5000
/** Under writableHighWaterMark on every Node (16384 on Node 20, 65536 from Node 22), and no divisor of either. */
const CHUNK_BYTES = 10_000
/** What a transfer that fills the kernel sends at least. */
const MIN_BEYOND_KERNEL_BYTES = 16 * 1024 * 1024

/** A connection: the test's peer (its server paused it on accept: it reads nothing until the test says so), and your kata process's end. */
interface Link {
  peer: net.Socket
  socket: RemoteSocket
  /** The two ends' ports: the peer's is the test server's. */
  peerPort: number
  localPort: number
}

async function connection(): Promise<Link> {
  const server = await testServer('127.0.0.1', {}, { pauseOnConnect: true })
  const peerPort = server.port
  const accepted = nextConnection(server, CONNECT_MS, "the test's server never got the connection from your kata process")
  const { socket } = await kata.connect('127.0.0.1', peerPort)
  const peer = await accepted
  return { peer, socket, peerPort, localPort: peer.remotePort! }
}

/**
 * More bytes than the kernel can hold for a connection whose peer reads nothing: four times the most a
 * send buffer may grow to (tcp_wmem's maximum; 4 MiB by default), MIN_BEYOND_KERNEL_BYTES at least.
 */
function beyondTheKernel(): number {
  try {
    const most = Number(readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2])
    if (most > 0) return Math.max(MIN_BEYOND_KERNEL_BYTES, 4 * most)
  } catch {
    // not Linux
  }
  return MIN_BEYOND_KERNEL_BYTES
}

interface Source {
  /** What to pass writeAll(): the source, in your kata process. */
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>
  options: ChunkSourceOptions
  report(): Promise<ChunkSourceReport>
  release(): Promise<unknown>
}

/** A source of chunks in your kata process (test-doubles/chunk-source.ts) that samples `socket`'s writableLength at each pull. */
async function chunkSource(socket: RemoteSocket, options: ChunkSourceOptions): Promise<Source> {
  const double = await kata.testDouble('chunk-source', { ...options })
  await double.control('watch', socket)
  return {
    chunks: double.handle as unknown as Iterable<Uint8Array>,
    options,
    report: async () => (await double.control('report')) as ChunkSourceReport,
    release: () => double.control('release'),
  }
}

/** The bytes a source hands out, as the test computes them itself. */
function expectedFrom({ count, size, seed }: ChunkSourceOptions): Received {
  const next = seededBytes(seed)
  const hash = createHash('sha256')
  let start = Buffer.alloc(0)
  for (let i = 0; i < count; i++) {
    const chunk = next(size)
    hash.update(chunk)
    if (start.length < PREVIEW_BYTES) start = Buffer.concat([start, chunk]).subarray(0, PREVIEW_BYTES)
  }
  return { bytes: count * size, sha256: hash.digest('hex'), start: bytesPreview(start) }
}

const PREVIEW_BYTES = 64

interface Received {
  bytes: number
  sha256: string
  /** The first bytes, as bytesPreview shows them. */
  start: string
}

/** The peer starts reading: every byte that arrives is counted and hashed. */
function startReading(peer: net.Socket): { received(): number; untilEnd(ms: number, situation: string): Promise<Received> } {
  const hash = createHash('sha256')
  let bytes = 0
  let start = Buffer.alloc(0)
  const ended = new Promise<void>((resolve) => peer.once('end', resolve))
  peer.on('data', (chunk: Buffer) => {
    hash.update(chunk)
    bytes += chunk.length
    if (start.length < PREVIEW_BYTES) start = Buffer.concat([start, chunk]).subarray(0, PREVIEW_BYTES)
  })
  peer.resume()
  return {
    received: () => bytes,
    untilEnd: async (ms, situation) => {
      await within(ms, `the peer never saw the end of the stream ${situation}`, ended).catch((error: Error) => {
        throw new DeadlineError(`${error.message}; it had received ${bytes} bytes`)
      })
      return { bytes, sha256: hash.digest('hex'), start: bytesPreview(start) }
    },
  }
}

type Now = { state: 'pending' } | { state: 'resolved'; value: number } | { state: 'rejected'; error: NodeJS.ErrnoException }

/** A call of writeAll(), watched: how it stands now, without waiting for it. */
interface Writing {
  call: KataCall<number>
  now(): Now
}

/**
 * writeAll() called, once it has returned its promise. An exception it throws instead (the stub's "Not
 * implemented yet") fails the test as it is.
 */
async function begun(call: KataCall<number>): Promise<Writing> {
  let now: Now = { state: 'pending' }
  call.then<void, void>(
    (value) => void (now = { state: 'resolved', value }),
    (error: unknown) => void (now = { state: 'rejected', error: error as NodeJS.ErrnoException }),
  )
  await within(SETTLE_MS, 'writeAll() never returned', call.hasReturned)
  return { call, now: () => now }
}

function describeNow(now: Now): string {
  if (now.state === 'pending') return 'pending'
  if (now.state === 'resolved') return `resolved with ${now.value}`
  return `rejected with ${now.error.code ?? `an error with no code (${now.error.message})`}`
}

/** How the call stands once any settlement the kata process sent before now has arrived (its messages come in order). */
async function standing(writing: Writing): Promise<string> {
  await kata.roundTripMs()
  const now = writing.now()
  if (now.state === 'rejected' && isHarnessError(now.error)) throw now.error
  return describeNow(now)
}

/** writeAll()'s total; a rejection or a wait that runs out fails the test saying so, with what Node's buffer held then. */
async function resolves(writing: Writing, ms: number, situation: string, link: Link, reading?: { received(): number }): Promise<number> {
  try {
    return await within(ms, `${situation}, writeAll() never settled`, writing.call)
  } catch (error) {
    if (error instanceof DeadlineError) {
      const { writableLength } = await link.socket.refresh()
      const peer = reading ? `, and the peer had received ${reading.received()} bytes` : ''
      throw new DeadlineError(`${error.message}; by then Node's buffer held ${writableLength} bytes (writableLength)${peer}`)
    }
    if (isHarnessError(error)) throw error
    const { code, message } = error as NodeJS.ErrnoException
    throw new Error(`${situation}, writeAll() rejected with ${code ?? 'an error with no code'} (${message})`)
  }
}

/** How writeAll() settled: "rejected with ECONNRESET", "resolved with 10000"; a wait that runs out fails the test. */
async function settlement(writing: Writing, ms: number, situation: string): Promise<string> {
  await within(ms, `${situation}, writeAll() neither resolved nor rejected`, writing.call).catch((error: unknown) => {
    if (isHarnessError(error)) throw error
  })
  return describeNow(writing.now())
}

/** Fails the test if writeAll() rejected already: the test waits for something that needs it running. */
function stillRunning(writing: Writing, situation: string): void {
  const now = writing.now()
  if (now.state !== 'rejected') return
  if (isHarnessError(now.error)) throw now.error
  const { code, message } = now.error as NodeJS.ErrnoException
  throw new Error(`${situation}, writeAll() rejected with ${code ?? 'an error with no code'} (${message})`)
}

interface Reading {
  pulls: number
  writableLength: number
  /** The kernel's queues (ss's Send-Q and Recv-Q), where /proc/net shows them: your socket's send queue, the peer's receive queue. */
  sendQueue?: number
  receiveQueue?: number
}

/** A reading; undefined when a row the kernel's table should have was not in it (the table changes as it is read, and can skip a row). */
async function readingOf(link: Link, source: Source): Promise<Reading | undefined> {
  const { pulls } = await source.report()
  const { writableLength } = await link.socket.refresh()
  if (procNetUnavailable()) return { pulls, writableLength }
  const [mine] = await kata.sockets('tcp', (row) => row.localPort === link.localPort && row.remotePort === link.peerPort)
  const [theirs] = socketsOfThisProcess('tcp', (row) => row.localPort === link.peerPort && row.remotePort === link.localPort)
  if (!mine || !theirs) return undefined
  return { pulls, writableLength, sendQueue: mine.sendQueue, receiveQueue: theirs.receiveQueue }
}

/**
 * Waits, the peer reading nothing, until nothing moves any more: the same pulls, Node's buffer and the
 * kernel's queues in two readings in a row, STEADY_GAP_MS apart, with the kata process answering
 * before each (so it had its turns to write, had it anything to write). Returns that last reading.
 */
async function stalled(link: Link, source: Source, writing: Writing, situation: string): Promise<Reading> {
  let previous: Reading | undefined
  let readings = 0
  try {
    await until(FILL_MS, `with the peer reading nothing, ${situation}, your code kept taking chunks or writing (or the kernel's queues kept changing)`, async () => {
      await kata.roundTripMs()
      stillRunning(writing, `while the peer read nothing, ${situation}`)
      const now = await readingOf(link, source)
      if (!now) return false // read again
      readings++
      const steady = previous !== undefined && now.pulls > 0 && isDeepStrictEqual(now, previous)
      previous = now
      return steady
    }, STEADY_GAP_MS)
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error
    const last = previous ? `the last of ${readings} readings: ${JSON.stringify(previous)}` : "the kernel's table never showed both ends of the connection"
    throw new DeadlineError(`${error.message}; ${last}`)
  }
  return previous!
}

/**
 * Fails the test if your code asked for a chunk while Node's buffer was at or past writableHighWaterMark,
 * saying which chunk and how full the buffer was.
 */
function expectEachPullUnderTheMark({ atPulls, writableHighWaterMark }: ChunkSourceReport, count: number): void {
  const first = atPulls.firstAtMark
  const which = first && (first.pull <= count ? `chunk ${first.pull} of ${count}` : 'a chunk after the last one')
  const details = first
    ? `: your code asked for ${which} while Node's buffer already held ${first.writableLength} bytes, writableHighWaterMark being ${writableHighWaterMark} (the most it held when a chunk was asked for: ${atPulls.most} bytes)`
    : ''
  expect(
    which,
    `each time your code takes a chunk, Node's buffer must be under writableHighWaterMark (the last write() returned true, or its 'drain' came), so that it never holds more than writableHighWaterMark + one chunk${details}`,
  ).toBe(null)
}

function describeReceived({ bytes, sha256, start }: Received): string {
  return `${bytes} bytes, SHA-256 ${sha256.slice(0, 16)}…, starting ${start}`
}

describe('writeAll(socket, chunks)', () => {
  test('an array of Buffers: writes them in order, resolves with the total, and leaves the socket open', async () => {
    const link = await connection()
    const reading = startReading(link.peer)
    const chunks = ['first ', 'second ', 'third'].map((text) => Buffer.from(text))
    const total = await resolves(await begun(writeAll(link.socket, chunks)), SETTLE_MS, 'Given an array of three short Buffers, the peer reading', link, reading)
    expect(total, 'what writeAll() resolved with for "first ", "second " and "third": the total of their bytes').toBe(18)
    expect((await link.socket.refresh()).writableEnded, 'whether writeAll() ended the socket: it writes the chunks and leaves the socket open (the caller may write more)').toBe(false)
    const got = await endAndReceive(link, reading, SETTLE_MS)
    const sent = Buffer.concat(chunks)
    expect(describeReceived(got), 'what the peer received: the chunks, in order, nothing else').toBe(
      describeReceived({ bytes: sent.length, sha256: createHash('sha256').update(sent).digest('hex'), start: bytesPreview(sent) }),
    )
  }, SETTLE_TEST_MS)

  test('no chunks at all: resolves with 0 and writes nothing', async () => {
    const link = await connection()
    const reading = startReading(link.peer)
    const total = await resolves(await begun(writeAll(link.socket, [])), SETTLE_MS, 'Given an empty array', link, reading)
    expect(total, 'what writeAll() resolved with for no chunks at all').toBe(0)
    expect((await endAndReceive(link, reading, SETTLE_MS)).bytes, 'the bytes the peer received when there was nothing to write').toBe(0)
  }, SETTLE_TEST_MS)

  test('an async generator: every byte arrives, in order, and it resolves with the total', async () => {
    const link = await connection()
    const source = await chunkSource(link.socket, { count: 400, size: CHUNK_BYTES, seed: 3, async: true })
    const reading = startReading(link.peer)
    const total = await resolves(await begun(writeAll(link.socket, source.chunks)), TRANSFER_MS, 'Given an async iterable of 400 chunks of 10000 bytes, the peer reading all the while', link, reading)
    expect(total, 'what writeAll() resolved with for 400 chunks of 10000 bytes').toBe(4_000_000)
    const got = await endAndReceive(link, reading, TRANSFER_MS)
    expect(describeReceived(got), 'what the peer received: every chunk, in order, nothing else').toBe(describeReceived(expectedFrom(source.options)))
  }, TRANSFER_TEST_MS)

  test("Uint8Array views into larger buffers: sends the views' bytes and counts their byteLength", async () => {
    const link = await connection()
    const size = 1000
    const source = await chunkSource(link.socket, { count: 8, size, seed: 4, views: true })
    const reading = startReading(link.peer)
    const total = await resolves(await begun(writeAll(link.socket, source.chunks)), SETTLE_MS, 'Given 8 chunks of 1000 bytes, each a Uint8Array view into a larger buffer', link, reading)
    expect(total, `what writeAll() resolved with for 8 views of ${size} bytes each (their byteLength), each in a buffer of ${size + 2 * VIEW_MARGIN} bytes`).toBe(8000)
    const got = await endAndReceive(link, reading, SETTLE_MS)
    expect(describeReceived(got), "what the peer received: each view's own bytes, not the buffer behind it").toBe(describeReceived(expectedFrom(source.options)))
  }, SETTLE_TEST_MS)

  test("the peer reads nothing: you stop taking chunks, take each one only while Node's buffer is under writableHighWaterMark, and fill the kernel's queues; once the peer reads, every byte arrives", async () => {
    const link = await connection()
    const count = Math.ceil(beyondTheKernel() / CHUNK_BYTES)
    const source = await chunkSource(link.socket, { count, size: CHUNK_BYTES, seed: 5 })
    const writing = await begun(writeAll(link.socket, source.chunks))
    const stall = await stalled(link, source, writing, `given ${count} chunks of ${CHUNK_BYTES} bytes`)
    const report = await source.report()
    expectEachPullUnderTheMark(report, count)
    expect(report.chunks, `the chunks your code had taken, of ${count}, once nothing moved any more, the peer reading nothing: take a chunk only when the socket can accept it`).toBeLessThan(count)
    expect(await standing(writing), 'writeAll(), while the peer reads nothing and chunks are left to write').toBe('pending')
    if (stall.sendQueue !== undefined) {
      expect(
        stall.sendQueue,
        "your socket's send queue in the kernel (Send-Q) once nothing moved: bytes the peer's kernel had no room for. 0 means your code stopped writing while the kernel still had room",
      ).toBeGreaterThan(0)
      expect(stall.receiveQueue, "the peer's receive queue in the kernel (Recv-Q): bytes that arrived and nobody read").toBeGreaterThan(0)
    }
    const reading = startReading(link.peer)
    const total = await resolves(writing, TRANSFER_MS, 'Once the peer read again', link, reading)
    expect(total, `what writeAll() resolved with for ${count} chunks of ${CHUNK_BYTES} bytes`).toBe(count * CHUNK_BYTES)
    const got = await endAndReceive(link, reading, TRANSFER_MS)
    expect(describeReceived(got), 'what the peer received, once it read: every chunk, in order, nothing else').toBe(describeReceived(expectedFrom(source.options)))
  }, FILL_TEST_MS)

  test("a chunk larger than the kernel can hold: resolves only once the socket has accepted it (its 'drain'), not when write() returns", async () => {
    const link = await connection()
    const size = beyondTheKernel()
    const source = await chunkSource(link.socket, { count: 1, size, seed: 6, async: true })
    const writing = await begun(writeAll(link.socket, source.chunks))
    const stall = await stalled(link, source, writing, `given one chunk of ${size} bytes`)
    expect(stall.writableLength, `Node's buffer once the kernel's queues were full: the ${size}-byte chunk counts there until the kernel has taken all of it (the test's premise)`).toBeGreaterThan(0)
    expect(
      await standing(writing),
      `writeAll(), while Node's buffer still held ${stall.writableLength} bytes (writableLength) and the peer read nothing: the socket has not accepted the chunk until its 'drain' (write() returned false)`,
    ).toBe('pending')
    const reading = startReading(link.peer)
    const total = await resolves(writing, TRANSFER_MS, 'Once the peer read again', link, reading)
    expect(total, `what writeAll() resolved with for one chunk of ${size} bytes`).toBe(size)
    const got = await endAndReceive(link, reading, TRANSFER_MS)
    expect(describeReceived(got), 'what the peer received, once it read').toBe(describeReceived(expectedFrom(source.options)))
  }, FILL_TEST_MS)

  test('the peer resets the connection mid-transfer: rejects with ECONNRESET or EPIPE and closes the chunk iterator', async () => {
    const link = await connection()
    const count = Math.ceil(beyondTheKernel() / CHUNK_BYTES)
    const source = await chunkSource(link.socket, { count, size: CHUNK_BYTES, seed: 7, async: true })
    const writing = await begun(writeAll(link.socket, source.chunks))
    await stalled(link, source, writing, `given ${count} chunks of ${CHUNK_BYTES} bytes`)
    link.peer.resetAndDestroy()
    const outcome = await settlement(writing, SETTLE_MS, 'After the peer reset the connection (an RST) in the middle of the transfer')
    expect(
      ['rejected with ECONNRESET', 'rejected with EPIPE'],
      "how writeAll() settled after the peer reset the connection: with the socket's own error (ECONNRESET or EPIPE, whichever Node met first)",
    ).toContain(outcome)
    expect((await source.report()).returned, 'whether your code closed the chunk iterator (return()) once it gave up: the source may hold a file or a connection open').toBe(true)
  }, FILL_TEST_MS)

  test('the peer resets while your code waits for the next chunk: the error is handled, and writeAll() rejects with it', async () => {
    const link = await connection()
    const source = await chunkSource(link.socket, { count: 3, size: CHUNK_BYTES, seed: 8, async: true, holdAt: 1 })
    const writing = await begun(writeAll(link.socket, source.chunks))
    await until(SETTLE_MS, 'your code never asked for the second chunk (the first, of 10000 bytes, fits under writableHighWaterMark)', async () => {
      stillRunning(writing, 'Before it asked for the second chunk')
      return (await source.report()).holding
    })
    link.peer.resetAndDestroy() // while the source holds the second chunk, your socket's error comes
    await until(SETTLE_MS, 'your socket was never destroyed after the peer reset the connection', async () => (await link.socket.refresh()).destroyed)
    await source.release()
    const outcome = await settlement(writing, SETTLE_MS, 'After the peer reset the connection while your code waited for the next chunk (the test then handed it the chunk)')
    expect(['rejected with ECONNRESET', 'rejected with EPIPE'], "how writeAll() settled: with the socket's own error, which came while your code waited for the chunk").toContain(outcome)
    expect((await source.report()).returned, 'whether your code closed the chunk iterator (return()) once it gave up').toBe(true)
  }, SETTLE_TEST_MS)

  test('a socket that has already failed: rejects at once with socket.errored, taking no chunk', async () => {
    const link = await connection()
    await link.socket.cork() // the test's own write below waits in Node's buffer, listening for the socket's error
    const failing = link.socket.write('held').then(
      () => 'written',
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    )
    link.peer.resetAndDestroy()
    const code = await within(SETTLE_MS, "the test's own write never failed after the peer reset the connection", failing)
    expect(['ECONNRESET', 'EPIPE'], "the error the test's own write met when the peer reset the connection (the test's premise)").toContain(code)
    const source = await chunkSource(link.socket, { count: 3, size: CHUNK_BYTES, seed: 9 })
    const outcome = await settlement(await begun(writeAll(link.socket, source.chunks)), SETTLE_MS, `On a socket that had already failed with ${code} (socket.errored)`)
    expect(outcome, `how writeAll() settled on a socket that had already failed with ${code}: with that error, socket.errored`).toBe(`rejected with ${code}`)
    expect((await source.report()).pulls, 'the chunks your code asked for, for a socket that could take none').toBe(0)
  }, SETTLE_TEST_MS)

  test("the socket is destroyed while your code waits for 'drain': rejects with code ERR_SOCKET_CLOSED and closes the chunk iterator", async () => {
    const link = await connection()
    const count = Math.ceil(beyondTheKernel() / CHUNK_BYTES)
    const source = await chunkSource(link.socket, { count, size: CHUNK_BYTES, seed: 10 })
    const writing = await begun(writeAll(link.socket, source.chunks))
    await stalled(link, source, writing, `given ${count} chunks of ${CHUNK_BYTES} bytes`)
    await link.socket.close() // socket.destroy(): no error, and no 'drain' will ever come
    const outcome = await settlement(writing, SETTLE_MS, "After the socket was destroyed (socket.destroy()) while your code waited for 'drain'")
    expect(outcome, "how writeAll() settled once the socket closed with no error: 'drain' never comes to a closed socket, 'close' does").toBe('rejected with ERR_SOCKET_CLOSED')
    expect((await source.report()).returned, 'whether your code closed the chunk iterator (return()) once it gave up').toBe(true)
  }, FILL_TEST_MS)

  test('leaves no listener behind: after it resolves, the socket has the listeners it had before', async () => {
    const link = await connection()
    const before = (await link.socket.refresh()).listeners
    const reading = startReading(link.peer)
    const chunks = Array.from({ length: 4 }, (_, i) => Buffer.alloc(40_000, i)) // past writableHighWaterMark: a 'drain' to wait for
    const total = await resolves(await begun(writeAll(link.socket, chunks)), SETTLE_MS, 'Given four chunks of 40000 bytes, the peer reading', link, reading)
    expect(total, 'what writeAll() resolved with for four chunks of 40000 bytes').toBe(160_000)
    const changes = listenerChanges(before, (await link.socket.refresh()).listeners)
    expect(
      changes,
      `the socket's listeners after writeAll() resolved, against before${changes === 'none' ? '' : ` (${changes})`}: a listener left behind stays as long as the socket, and an 'error' listener left behind hides the caller's later errors`,
    ).toBe('none')
  }, SETTLE_TEST_MS)
})

/** The test ends your socket, and the peer reads to the end: what it received. */
async function endAndReceive(link: Link, reading: ReturnType<typeof startReading>, ms: number): Promise<Received> {
  await link.socket.end()
  return reading.untilEnd(ms, '(the test ended your socket after writeAll() resolved)')
}

function listenerChanges(before: Record<string, number>, after: Record<string, number>): string {
  const events = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
  const changes = events.filter((event) => (before[event] ?? 0) !== (after[event] ?? 0)).map((event) => `'${event}' ${before[event] ?? 0} -> ${after[event] ?? 0}`)
  return changes.length === 0 ? 'none' : changes.join(', ')
}
