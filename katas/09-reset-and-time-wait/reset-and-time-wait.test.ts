import { readFileSync } from 'node:fs'
import net from 'node:net'
import { describe, expect, test } from 'vitest'
import { kataUnderTest, type KataCall } from '#harness/kata-process/kata-under-test.ts'
import type { RemoteSocket } from '#harness/kata-process/remote.ts'
import { kernelSockets, procNetUnavailable, type KernelSocket } from '#harness/kernel/proc-net.ts'
import { testServer } from '#harness/sockets/tcp-peers.ts'
import { isHarnessError } from '#harness/lifecycle/harness-error.ts'
import { requireKernelSocketTable } from '#harness/lifecycle/requirements.ts'
import { until, within } from '#harness/lifecycle/within.ts'

const kata = await kataUnderTest<typeof import('./reset-and-time-wait.ts')>(import.meta.url)
const { closeGracefully, abort, howItEnded } = kata.exports

const CONNECT_MS = 2000
/** How long your function has to settle once the peer has done its part (and the peer, to see what your side did). */
const SETTLE_MS = 2000
/** How long the test waits for the kernel to show a state (a TIME-WAIT row, CLOSE-WAIT, a row gone). */
const KERNEL_MS = 2000
/** What the peer sends before its FIN (and, in one test, after yours): more than Node reads ahead on its own. */
const PEER_BYTES = 100_000
/** What your side has written when the peer ends first: more than the kernels' buffers take while the peer does not read. */
const LARGE_WRITE_BYTES = 8 * 1024 * 1024
/** Those bytes cross to the peer once it reads, on a machine that may be busy. */
const LARGE_WRITE_MS = 5000
/** Vitest's own limit for a test, past the sum of its bounded waits on a busy machine, so that a bound's message is the one shown. */
const TEST_MS = 15_000
/** The same for the test that writes LARGE_WRITE_BYTES. */
const LARGE_WRITE_TEST_MS = LARGE_WRITE_MS + TEST_MS
const RESET_NOTE = 'before the reset'

/** The test's end of a connection, and what it saw: 'end' (the other side's FIN), 'error <code>', 'close'. */
interface Peer {
  socket: net.Socket
  events: string[]
  received: number
  ended: Promise<void>
  closed: Promise<void>
}

/** The first thing that ended the peer's reading: 'end' (a FIN), 'error ECONNRESET' (an RST), ...; 'nothing' if neither came. */
function howThePeerSawItEnd(peer: Peer): string {
  return peer.events.find((event) => event === 'end' || event.startsWith('error ')) ?? 'nothing'
}

function watchPeer(socket: net.Socket): Peer {
  const peer: Peer = {
    socket,
    events: [],
    received: 0,
    ended: new Promise((resolve) => socket.once('end', () => resolve())),
    closed: new Promise((resolve) => socket.once('close', () => resolve())),
  }
  socket.on('data', (chunk: Buffer) => (peer.received += chunk.length))
  socket.on('end', () => peer.events.push('end'))
  socket.on('error', (error: NodeJS.ErrnoException) => peer.events.push(`error ${error.code ?? error.message}`))
  socket.on('close', () => peer.events.push('close'))
  return peer
}

interface ConnectionOptions {
  /** The peer stays open for writing after your FIN (allowHalfOpen), until the test ends it. */
  peerHalfOpen?: boolean
  /** The peer reads nothing until the test resumes it (pauseOnConnect). */
  peerPaused?: boolean
  /** Your socket stays open for writing after the peer's FIN (net.connect's allowHalfOpen). */
  yoursHalfOpen?: boolean
}

/**
 * A TCP connection over 127.0.0.1: the test's peer (accepted by a server of the test's) and the other
 * end in your kata process, the socket your function gets. Their ports name the connection in the kernel.
 */
async function connection(options: ConnectionOptions = {}): Promise<{ peer: Peer; socket: RemoteSocket; yours: number; theirs: number }> {
  const server = await testServer('127.0.0.1', {}, { allowHalfOpen: options.peerHalfOpen ?? false, pauseOnConnect: options.peerPaused ?? false })
  const theirs = server.port
  // Watched from the moment it is accepted: an RST can come before the test looks.
  const accepted = new Promise<Peer>((resolve) => server.once('connection', (socket: net.Socket) => resolve(watchPeer(socket))))
  const { socket } = await kata.connect('127.0.0.1', theirs, { allowHalfOpen: options.yoursHalfOpen ?? false })
  const peer = await within(CONNECT_MS, "the test's server never got the connection from your kata process", accepted)
  return { peer, socket, yours: socket.facts.local!.port, theirs }
}

/** The kernel's rows for the connection from port `local` to port `remote` on 127.0.0.1, whoever holds them: TIME-WAIT rows belong to no process. */
function rowsOf(local: number, remote: number): KernelSocket[] {
  return kernelSockets('tcp').filter((row) => row.localPort === local && row.remotePort === remote && [row.localAddress, row.remoteAddress].every(isLoopback))
}

function isLoopback(address: string): boolean {
  return address === '127.0.0.1' || address === '::ffff:127.0.0.1'
}

/**
 * Whether the kernel shows a TIME-WAIT row for local -> remote. A row lasts 60 s once there, but a read
 * of /proc/net/tcp can miss one while other sockets come and go: a few reads, and any that shows it counts.
 */
function timeWaitShown(local: number, remote: number): boolean {
  for (let read = 0; read < 3; read++) if (rowsOf(local, remote).some((row) => row.state === 'TIME-WAIT')) return true
  return false
}

/** Fails unless the kernel shows (within KERNEL_MS) the TIME-WAIT of `who`'s end, from port `local` to port `remote`. Off Linux, not checked. */
async function expectTimeWaitOn(who: string, local: number, remote: number, why: string): Promise<void> {
  if (procNetUnavailable()) return
  await until(KERNEL_MS, `the kernel never showed a TIME-WAIT row for ${who} (127.0.0.1:${local} -> 127.0.0.1:${remote}): ${why}`, () => timeWaitShown(local, remote))
}

/** Fails if the kernel shows a TIME-WAIT row for `who`'s end. Off Linux, not checked. */
function expectNoTimeWaitOn(who: string, local: number, remote: number, why: string): void {
  if (procNetUnavailable()) return
  expect(timeWaitShown(local, remote) ? `TIME-WAIT on ${who}` : 'no TIME-WAIT', `the kernel's rows for 127.0.0.1:${local} -> 127.0.0.1:${remote}: ${why}`).toBe('no TIME-WAIT')
}

/** The kernel's count of RSTs sent (/proc/net/snmp Tcp OutRsts): every socket on this machine adds to it, so it only ever supports a verdict. */
function outRsts(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((line) => line.startsWith('Tcp:'))
    const [names, values] = lines.map((line) => line.split(/\s+/))
    const value = Number(values?.[names?.indexOf('OutRsts') ?? -1])
    return Number.isFinite(value) ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * Waits (bounded) for `event`, something the peer or the kernel is to show while your call runs; if
 * the call throws or rejects first, the test fails at once with that error.
 */
function whilePending<T>(call: KataCall<unknown>, ms: number, whatDidNotHappen: string, event: Promise<T>): Promise<T> {
  const failed = new Promise<never>((_, reject) => void call.then(undefined, reject))
  failed.catch(() => {}) // reported through the race, or not at all once the event came
  return within(ms, whatDidNotHappen, Promise.race([event, failed]))
}

/**
 * How a call of yours has settled so far: 'still waiting', 'resolved', 'rejected with ECONNRESET'...
 * (read after a round trip to the kata process, which answers in order).
 */
function watchSettled(call: PromiseLike<unknown>): () => string {
  let state = 'still waiting'
  call.then(
    () => (state = 'resolved'),
    (error: unknown) => (state = `rejected with ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`),
  )
  return () => state
}

/** How a call of yours settled, bounded: "resolved" (with nothing), "fin", { error: "EPIPE" } (what it resolved with), "rejected with ECONNRESET". */
async function outcomeOf(call: KataCall<unknown>, ms: number, whatDidNotHappen: string): Promise<string> {
  return within(ms, whatDidNotHappen, call).then(
    (value) => (value === undefined ? 'resolved' : describeValue(value)),
    (error: unknown) => {
      if (isHarnessError(error)) throw error
      const { code, message } = error as NodeJS.ErrnoException
      return `rejected with ${code ?? `an error with no code (${message})`}`
    },
  )
}

/** "fin", "rst", { error: "EPIPE" }: a value as the contract writes it (in double quotes, which failure messages show as they are). */
function describeValue(value: unknown): string {
  if (value && typeof value === 'object' && Object.keys(value).length === 1 && typeof (value as { error?: unknown }).error === 'string') {
    return `{ error: "${(value as { error: string }).error}" }`
  }
  return JSON.stringify(value) ?? String(value)
}

/** Writes `bytes` on the test's own socket and waits until its kernel has taken them. */
/**
 * Waits until the peer's bytes have all reached your side's kernel and some still sit there unread
 * (Node reads ahead only up to its buffer's mark, far less than PEER_BYTES): closing the socket now
 * without reading them is what sends an RST. Without /proc/net, no wait.
 */
async function untilUnreadOnYourSide(yours: number, theirs: number): Promise<void> {
  if (procNetUnavailable()) return
  await until(KERNEL_MS, "the peer's bytes never reached your side's kernel", () => {
    const [mine] = rowsOf(yours, theirs)
    const [its] = rowsOf(theirs, yours)
    return (mine?.receiveQueue ?? 0) > 0 && its?.sendQueue === 0
  })
}

function peerWrite(peer: Peer, bytes: Buffer): Promise<void> {
  return within(
    SETTLE_MS,
    `the peer could not hand ${bytes.length} bytes to its kernel`,
    new Promise<void>((resolve, reject) => peer.socket.write(bytes, (error) => (error ? reject(error) : resolve()))),
  )
}

describe('closeGracefully(socket)', () => {
  test('sends a FIN, then waits: it resolves only once the peer has closed its side too, and the TIME-WAIT is yours', async () => {
    const { peer, socket, yours, theirs } = await connection({ peerHalfOpen: true })
    const closing = closeGracefully(socket)
    const settled = watchSettled(closing)
    await whilePending(closing, SETTLE_MS, "the peer never saw your FIN ('end'): closeGracefully() should end() the socket", peer.ended)
    await kata.roundTripMs() // whatever your code did up to now has reached the test
    expect(
      settled(),
      "closeGracefully() settled once its own FIN had gone out, while the peer (half-open) had not closed its side: it should resolve on 'close', after the peer's FIN",
    ).toBe('still waiting')
    peer.socket.end()
    const outcome = await outcomeOf(closing, SETTLE_MS, "closeGracefully() never settled after the peer's FIN answered yours")
    expect(outcome, 'how closeGracefully() settled: both FINs had crossed, nothing went wrong').toBe('resolved')
    await within(SETTLE_MS, 'the peer never saw the connection close', peer.closed)
    expect(howThePeerSawItEnd(peer), 'how the peer saw your side end').toBe('end')
    await expectTimeWaitOn('your side', yours, theirs, 'your side closed first, so the kernel keeps the TIME-WAIT there')
    expectNoTimeWaitOn('the peer', theirs, yours, 'the peer closed second: it never enters TIME-WAIT')
  }, TEST_MS)

  test('reads and discards what the peer still sends, before and after your FIN: it resolves, and the peer sees no reset', async () => {
    const { peer, socket, yours, theirs } = await connection({ peerHalfOpen: true })
    await peerWrite(peer, Buffer.alloc(PEER_BYTES, 'a')) // your code has read none of it yet
    await untilUnreadOnYourSide(yours, theirs)
    const closing = closeGracefully(socket)
    await whilePending(closing, SETTLE_MS, "the peer never saw your FIN ('end'): closeGracefully() should end() the socket", peer.ended)
    peer.socket.end(Buffer.alloc(PEER_BYTES, 'b')) // more after your FIN (a half-closed peer may), then its own FIN
    const outcome = await outcomeOf(
      closing,
      SETTLE_MS,
      `closeGracefully() never settled, although the peer had sent ${PEER_BYTES} bytes before your FIN and ${PEER_BYTES} after it, then its FIN. ` +
        "Node emits neither 'end' nor 'close' while received bytes sit unread: read and discard them (socket.resume())",
    )
    await within(SETTLE_MS, 'the peer never saw the connection close', peer.closed)
    expect(
      peer.events.filter((event) => event.startsWith('error ')),
      'what went wrong on the peer: closing a socket that still holds unread bytes sends an RST, not a FIN (the peer gets ECONNRESET or EPIPE). ' +
        "Read the bytes to their end and let Node close the socket: wait for 'close'",
    ).toEqual([])
    // The peer may have written its last bytes before the RST came, and then sees no error: the kernel tells for sure.
    await expectTimeWaitOn(
      'your side',
      yours,
      theirs,
      'your side closed first, so a graceful close leaves the TIME-WAIT there; none means it ended in an RST, and ' +
        "closing a socket that still holds unread bytes sends an RST. Read the bytes to their end and let Node close the socket: wait for 'close'",
    )
    expect(outcome, 'how closeGracefully() settled').toBe('resolved')
  }, TEST_MS)

  test('when the peer ends first, it resolves only once what you wrote and your FIN have gone out: the TIME-WAIT is then the peer\'s', async () => {
    const { peer, socket, yours, theirs } = await connection({ peerPaused: true })
    const writing = socket.writeZeros(LARGE_WRITE_BYTES) // the peer reads none of it yet: most stays in Node's buffer
    writing.catch(() => {}) // awaited below
    const closing = closeGracefully(socket)
    const settled = watchSettled(closing)
    await within(SETTLE_MS, 'closeGracefully() never returned', closing.hasReturned)
    peer.socket.end() // the peer's FIN, while it reads nothing
    const ended = "your code never reached the peer's FIN ('end' never came): closeGracefully() must read what the peer sends, to its end"
    const reachedEnd = async () => {
      const { readableEnded, destroyed } = await socket.refresh()
      return readableEnded || destroyed
    }
    await within(SETTLE_MS, ended, until(SETTLE_MS, ended, reachedEnd))
    await kata.roundTripMs()
    const { writableLength } = await socket.refresh()
    expect(
      settled(),
      `closeGracefully() settled at the peer's FIN ('end'), while ${writableLength} bytes written on your side had not yet gone out, nor your FIN behind them: ` +
        "it should resolve on 'close', once they have",
    ).toBe('still waiting')
    expect(writableLength, `bytes of the test's ${LARGE_WRITE_BYTES}-byte write still in Node's buffer on your side, the peer not reading`).toBeGreaterThan(0)
    peer.socket.resume()
    const outcome = await outcomeOf(closing, LARGE_WRITE_MS, 'closeGracefully() never settled once the peer read what you had written')
    expect(outcome, 'how closeGracefully() settled').toBe('resolved')
    await within(SETTLE_MS, 'the peer never saw the connection close', peer.closed)
    await writing
    expect(peer.received, `bytes the peer received of the ${LARGE_WRITE_BYTES} written on your side before closeGracefully()`).toBe(LARGE_WRITE_BYTES)
    await expectTimeWaitOn('the peer', theirs, yours, 'the peer closed first, so the kernel keeps the TIME-WAIT on its side')
    expectNoTimeWaitOn('your side', yours, theirs, 'your side closed second: it never enters TIME-WAIT')
  }, LARGE_WRITE_TEST_MS)

  test('rejects with ECONNRESET when the peer resets the connection instead of closing it', async () => {
    const { peer, socket, yours, theirs } = await connection({ peerHalfOpen: true })
    const closing = closeGracefully(socket)
    await whilePending(closing, SETTLE_MS, "the peer never saw your FIN ('end'): closeGracefully() should end() the socket", peer.ended)
    peer.socket.resetAndDestroy()
    const outcome = await outcomeOf(closing, SETTLE_MS, 'closeGracefully() never settled after the peer reset the connection')
    expect(outcome, "the peer answered your FIN with an RST: closeGracefully() should reject with the socket's error").toBe('rejected with ECONNRESET')
    expectNoTimeWaitOn('your side', yours, theirs, 'an RST ends a connection with no TIME-WAIT')
  }, TEST_MS)
})

describe('abort(socket)', () => {
  test('the peer gets ECONNRESET (an RST, not a FIN), and the connection leaves no TIME-WAIT', async () => {
    const { peer, socket, yours, theirs } = await connection()
    const words = Buffer.from('the last words before the abort')
    await socket.write(words)
    // The peer reads everything first: on Node 20 and 22, an RST right behind unread bytes reads as a clean end.
    await until(SETTLE_MS, `the peer never received the ${words.length} bytes your socket wrote`, () => peer.received >= words.length)
    const before = outRsts()
    await within(SETTLE_MS, 'abort() never returned', abort(socket))
    await within(SETTLE_MS, 'after abort(), the peer never saw the connection end (neither a FIN nor an RST)', peer.closed)
    const after = outRsts()
    const counter =
      before === undefined || after === undefined ? '' : ` (the kernel's OutRsts counter, which every socket here adds to, went up by ${after - before} meanwhile)`
    expect(
      howThePeerSawItEnd(peer),
      `how the peer saw the connection end after abort(): an abort is an RST (socket.resetAndDestroy(), SO_LINGER {1, 0}); ` +
        `a clean 'end' means your side sent a FIN, as end() and destroy() do${counter}`,
    ).toBe('error ECONNRESET')
    expectNoTimeWaitOn('your side', yours, theirs, 'an RST ends a connection with no TIME-WAIT')
    expectNoTimeWaitOn('the peer', theirs, yours, 'an RST ends a connection with no TIME-WAIT')
    expect((await socket.refresh()).destroyed, 'your socket, once abort() had returned').toBe(true)
  }, TEST_MS)
})

describe('howItEnded(socket)', () => {
  test("'fin' when the peer ends the connection, after bytes your code must read past", async () => {
    const { peer, socket, yours, theirs } = await connection()
    const ending = howItEnded(socket)
    await within(SETTLE_MS, 'howItEnded() never returned', ending.hasReturned)
    peer.socket.end(Buffer.alloc(PEER_BYTES, 'a'))
    const outcome = await outcomeOf(
      ending,
      SETTLE_MS,
      `howItEnded() never settled after the peer sent ${PEER_BYTES} bytes and its FIN: Node emits neither 'end' nor 'close' while received bytes sit unread, so read and discard them (socket.resume())`,
    )
    expect(outcome, "the peer sent its FIN (end()): howItEnded() should resolve with 'fin'").toBe('"fin"')
    await within(SETTLE_MS, 'the peer never saw the connection close', peer.closed)
    await expectTimeWaitOn('the peer', theirs, yours, 'the peer closed first, so the kernel keeps the TIME-WAIT on its side')
  }, TEST_MS)

  test("'rst' when the peer resets the connection", async () => {
    const { peer, socket, yours, theirs } = await connection()
    const ending = howItEnded(socket)
    await within(SETTLE_MS, 'howItEnded() never returned', ending.hasReturned)
    peer.socket.write(RESET_NOTE)
    // Node on your side reads the bytes out of the kernel before the RST comes: on Node 20 and 22 an RST right behind unread bytes reads as a clean end.
    const read = `Node on your side never read the ${RESET_NOTE.length} bytes the peer sent`
    await within(SETTLE_MS, read, until(SETTLE_MS, read, async () => (await socket.refresh()).bytesRead >= RESET_NOTE.length))
    peer.socket.resetAndDestroy()
    const outcome = await outcomeOf(ending, SETTLE_MS, 'howItEnded() never settled after the peer reset the connection')
    expect(outcome, "the peer reset the connection (an RST): the socket's first error was ECONNRESET, and howItEnded() should resolve with 'rst'").toBe('"rst"')
    expectNoTimeWaitOn('your side', yours, theirs, 'an RST ends a connection with no TIME-WAIT')
  }, TEST_MS)

  test("{ error: 'EPIPE' } when your side wrote after the peer had closed", async (context) => {
    requireKernelSocketTable(context) // the test writes when the kernel shows the FIN, then the RST, arrived
    const { peer, socket, yours, theirs } = await connection({ yoursHalfOpen: true })
    const ending = howItEnded(socket)
    await within(SETTLE_MS, 'howItEnded() never returned', ending.hasReturned)
    peer.socket.destroy() // a FIN, and the peer's socket is gone: its kernel will answer anything more with an RST
    const state = () => rowsOf(yours, theirs).map((row) => row.state)
    await until(KERNEL_MS, "the kernel never showed your side in CLOSE-WAIT (the peer's FIN arrived)", () => state().includes('CLOSE-WAIT'))
    await socket.write('one write after the peer closed').catch((error: NodeJS.ErrnoException) => {
      throw new Error(
        `the test's first write on your socket, after the peer's FIN, failed with ${error.code ?? error.message}: the socket should still be open ` +
          '(it was made with allowHalfOpen), so howItEnded() must not close it',
      )
    })
    await until(KERNEL_MS, "the kernel never showed the peer's RST arriving (your side's row gone)", () => state().length === 0)
    const second = await socket.write('and one more').then(
      () => 'succeeded',
      (error: NodeJS.ErrnoException) => `failed with ${error.code ?? error.message}`,
    )
    expect(second, "the test's second write, after the peer's RST: the kernel answers EPIPE").toBe('failed with EPIPE')
    const outcome = await outcomeOf(ending, SETTLE_MS, 'howItEnded() never settled after a write failed with EPIPE')
    expect(
      outcome,
      "the peer's FIN came first ('end'), then your side's write failed with EPIPE: an error is what ended the socket, and howItEnded() should resolve with its code",
    ).toBe('{ error: "EPIPE" }')
  }, TEST_MS)

  test("{ error: 'ERR_SOCKET_CLOSED' } when your side closed the socket first", async () => {
    const { peer, socket, yours, theirs } = await connection()
    const ending = howItEnded(socket)
    await within(SETTLE_MS, 'howItEnded() never returned', ending.hasReturned)
    await socket.close() // socket.destroy() on your side, by the test
    const outcome = await outcomeOf(ending, SETTLE_MS, 'howItEnded() never settled after your side destroyed the socket')
    expect(outcome, "your side closed the socket before any FIN or error came from the peer: howItEnded() should resolve with { error: 'ERR_SOCKET_CLOSED' }").toBe('{ error: "ERR_SOCKET_CLOSED" }')
    await within(SETTLE_MS, 'the peer never saw the connection close', peer.closed)
    expect(howThePeerSawItEnd(peer), 'how the peer saw your side end').toBe('end')
    await expectTimeWaitOn('your side', yours, theirs, 'your side closed first, so the kernel keeps the TIME-WAIT there')
  }, TEST_MS)
})
