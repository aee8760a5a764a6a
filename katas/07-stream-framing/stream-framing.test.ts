import { createHash, randomBytes } from 'node:crypto'
import type net from 'node:net'
import { describe, expect, test } from 'vitest'
import { kataUnderTest } from '#harness/kata-process/kata-under-test.ts'
import { RemoteAsyncIterable, type RemoteSocket } from '#harness/kata-process/remote.ts'
import { isHarnessError } from '#harness/lifecycle/harness-error.ts'
import { until, within } from '#harness/lifecycle/within.ts'
import { bytesPreview, nextConnection, testServer } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./stream-framing.ts')>(import.meta.url)
const { readFrames, writeFrame } = kata.exports

const HEADER_BYTES = 4
const FRAME_MS = 2000
/** A 4 MiB frame crosses loopback, then the channel to the test process, on a machine that may be busy. */
const BIG_FRAME_MS = 10_000
/** Vitest's own limit for that test, past the pull's bound so that the pull's message is the one shown. */
const BIG_FRAME_TEST_MS = BIG_FRAME_MS + 5000
const CONNECT_MS = 2000
const DELIVERY_MS = 2000
const BIG_FRAME_BYTES = 4 * 1024 * 1024
const LARGE_WRITE_BYTES = 1024 * 1024

type Frames = RemoteAsyncIterable<Buffer>

/** A TCP connection: the test's peer, and the other end in your kata process (the socket readFrames() is given). */
async function connection(): Promise<{ peer: net.Socket; socket: RemoteSocket }> {
  const server = await testServer('127.0.0.1')
  const accepted = nextConnection(server, CONNECT_MS, "the test's server never got the connection from your kata process")
  const { socket } = await kata.connect('127.0.0.1', server.port)
  const peer = await accepted
  peer.setNoDelay(true) // each write goes out as it is made, for the tests that split frames
  return { peer, socket }
}

/** readFrames() on a fresh connection: the test's peer writes, your code reads. */
async function framesFromPeer(): Promise<{ peer: net.Socket; socket: RemoteSocket; frames: Frames }> {
  const { peer, socket } = await connection()
  const frames = await within(FRAME_MS, 'readFrames() never returned', readFrames(socket))
  expect(frames, 'readFrames() should return an async iterable (an async generator, say), so that `for await` can read it').toBeInstanceOf(
    RemoteAsyncIterable,
  )
  return { peer, socket, frames }
}

/** A frame as the contract has it: 4-byte unsigned big-endian length, then the payload. */
function frame(payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES)
  header.writeUInt32BE(payload.length)
  return Buffer.concat([header, payload])
}

/**
 * Writes `pieces` one at a time, each once Node in your kata process has read the one before out of
 * the kernel, so that your code gets them as separate chunks. (Node's bytesRead only paces the pieces;
 * what your code yields is checked against the bytes sent.)
 */
async function sendInPieces(peer: net.Socket, socket: RemoteSocket, pieces: Buffer[]): Promise<void> {
  const before = (await socket.refresh()).bytesRead
  let sent = 0
  for (const piece of pieces) {
    peer.write(piece)
    sent += piece.length
    const what = `Node in your kata process never read the ${sent} bytes the peer had sent (is your code keeping the CPU busy?)`
    await within(DELIVERY_MS, what, until(DELIVERY_MS, what, async () => (await socket.refresh()).bytesRead - before >= sent))
  }
}

/**
 * The next frame, or the end; a pull that throws fails the test saying so, `situation` being what the
 * peer did. With `boundFrom`, `ms` counts from when it settles (see RemoteAsyncIterable.next).
 */
async function pull(frames: Frames, situation: string, ms = FRAME_MS, boundFrom?: Promise<unknown>): Promise<IteratorResult<Buffer, undefined>> {
  return frames.next(ms, `readFrames() yielded nothing (neither a frame nor the end) ${situation}`, boundFrom).catch((error: unknown) => {
    if (isHarnessError(error)) throw error
    const { code, name, message } = error as NodeJS.ErrnoException
    throw new Error(`readFrames() threw ${code ?? name} (${message}) ${situation}`)
  })
}

/**
 * A pull started before the peer sends `pieces`, for the tests that split a frame. The first piece goes
 * out once your code is waiting for data (the kata process handles the test's messages in order, so a
 * round trip after the pull it has started it); each piece is then a chunk of its own. The pull's
 * FRAME_MS counts from the last piece: sending pieces one kernel check apart takes time of its own on a
 * busy machine, and that time is the test's, not your code's.
 */
async function pullWhileSending(frames: Frames, peer: net.Socket, socket: RemoteSocket, pieces: Buffer[], situation: string): Promise<IteratorResult<Buffer, undefined>> {
  let sent: (value?: unknown) => void = () => {}
  const pulling = pull(frames, situation, FRAME_MS, new Promise((resolve) => (sent = resolve)))
  pulling.catch(() => {}) // reported where it is awaited, not as an unhandled rejection while the peer sends
  await kata.roundTripMs()
  try {
    await sendInPieces(peer, socket, pieces)
  } finally {
    sent()
  }
  return pulling
}

/** Pulls until the iteration ends or one more than `expected` frames came; returns them, and whether it ended. */
async function pullAll(frames: Frames, expected: number, situation: string): Promise<{ payloads: Buffer[]; ended: boolean }> {
  const payloads: Buffer[] = []
  while (payloads.length <= expected) {
    const result = await pull(frames, `after ${payloads.length} frame(s), ${situation}`)
    if (result.done) return { payloads, ended: true }
    payloads.push(result.value)
  }
  return { payloads, ended: false }
}

/** "threw ECONNRESET", "ended quietly", "yielded 5 bytes ...": how a pull settled, in words. */
function howItWentOn(pulling: Promise<IteratorResult<Buffer, undefined>>): Promise<string> {
  return pulling.then(
    (result) => (result.done ? 'ended quietly' : `yielded ${previews([result.value])[0]}`),
    (error: unknown) => {
      if (isHarnessError(error)) throw error
      const { code, message } = error as NodeJS.ErrnoException
      return `threw ${code ?? `an error with no code (${message})`}`
    },
  )
}

function previews(payloads: Buffer[]): string[] {
  return payloads.map((payload) => `${payload.length} bytes ${bytesPreview(payload)}`)
}

describe('readFrames(socket)', () => {
  test('three frames in one write: yields all three, in order, then ends when the peer ends', async () => {
    const { peer, frames } = await framesFromPeer()
    const sent = ['first', 'second frame', 'third'].map((text) => Buffer.from(text))
    peer.end(Buffer.concat(sent.map(frame)))
    const { payloads, ended } = await pullAll(frames, sent.length, 'when the peer had sent three frames in one write, then ended')
    expect(
      previews(payloads),
      'what readFrames() yielded when three frames came in one write: one chunk of bytes can hold several frames, and the bytes after a frame are the next frame',
    ).toEqual(previews(sent))
    expect(ended, 'after the three frames, the peer ended the stream between frames: the iteration should end there').toBe(true)
  })

  test('one frame sent one byte at a time: yields it once, whole', async () => {
    const { peer, socket, frames } = await framesFromPeer()
    const payload = Buffer.from('byte by byte')
    const pieces = [...frame(payload)].map((byte) => Buffer.from([byte]))
    const result = await pullWhileSending(frames, peer, socket, pieces, 'when the peer had sent one frame, one byte at a time')
    expect(result.done ? 'the end of the iteration' : previews([result.value])[0], 'what readFrames() yielded for a frame that arrived one byte per read').toBe(
      previews([payload])[0],
    )
    peer.end()
    expect((await pull(frames, 'when the peer ended after that frame')).done, 'the peer ended after the one frame: the iteration should end there').toBe(true)
  })

  test('a length header split across reads (2 bytes, then the other 2 with the payload): yields the frame whole', async () => {
    const { peer, socket, frames } = await framesFromPeer()
    const payload = Buffer.from('after a split header')
    const bytes = frame(payload)
    const pieces = [bytes.subarray(0, 2), bytes.subarray(2)]
    const result = await pullWhileSending(frames, peer, socket, pieces, 'when the peer had sent a frame whose 4-byte header came 2 bytes at a time')
    expect(result.done ? 'the end of the iteration' : previews([result.value])[0], 'what readFrames() yielded for a frame whose header was split 2 + 2').toBe(
      previews([payload])[0],
    )
  })

  test('a zero-length frame is a frame: yields an empty Buffer, and the frames around it', async () => {
    const { peer, frames } = await framesFromPeer()
    const sent = [Buffer.alloc(0), Buffer.from('between'), Buffer.alloc(0)]
    peer.end(Buffer.concat(sent.map(frame)))
    const { payloads, ended } = await pullAll(frames, sent.length, 'when the peer had sent an empty frame, a 7-byte one and another empty one')
    expect(previews(payloads), 'what readFrames() yielded for frames of 0, 7 and 0 bytes: a length of 0 means an empty payload, not the end').toEqual(previews(sent))
    expect(ended, 'after those frames the peer ended: the iteration should end there').toBe(true)
  })

  test('a 4 MiB frame: yields it whole, byte for byte', async () => {
    const { peer, frames } = await framesFromPeer()
    const payload = randomBytes(BIG_FRAME_BYTES)
    peer.write(frame(payload))
    const result = await pull(frames, `when the peer had sent one frame of ${BIG_FRAME_BYTES} bytes`, BIG_FRAME_MS)
    const got = result.done ? undefined : result.value
    expect(got?.length, `the length of what readFrames() yielded for one frame of ${BIG_FRAME_BYTES} bytes (its header reads 00 40 00 00)`).toBe(BIG_FRAME_BYTES)
    expect(got && sha256(got), 'the SHA-256 of what readFrames() yielded, against that of the payload sent').toBe(sha256(payload))
  }, BIG_FRAME_TEST_MS)

  test("a UTF-8 character split across reads: the payload's bytes are exactly the bytes sent", async () => {
    const { peer, socket, frames } = await framesFromPeer()
    const payload = Buffer.from('snow☃man')
    const bytes = frame(payload)
    const splitAt = HEADER_BYTES + payload.indexOf('☃') + 1 // after the first of ☃'s three bytes (e2 98 83)
    const pieces = [bytes.subarray(0, splitAt), bytes.subarray(splitAt)]
    const result = await pullWhileSending(frames, peer, socket, pieces, 'when the peer had sent a frame split inside the 3-byte UTF-8 character ☃')
    expect(
      result.done ? 'the end of the iteration' : result.value.toString('hex'),
      `the bytes readFrames() yielded (hex) for "snow☃man" split after e2: a Buffer's bytes must come through untouched, never decoded as text chunk by chunk`,
    ).toBe(payload.toString('hex'))
  })

  test('yields a frame as soon as its last byte has arrived, while the peer keeps the connection open', async () => {
    const { peer, frames } = await framesFromPeer()
    const payload = Buffer.from('no end in sight')
    peer.write(frame(payload))
    const result = await frames.next(
      FRAME_MS,
      'readFrames() did not yield a frame whose every byte had arrived, while the peer kept the connection open: it must not wait for the end of the stream',
    )
    expect(result.done ? 'the end of the iteration' : previews([result.value])[0], 'what readFrames() yielded while the connection stayed open').toBe(
      previews([payload])[0],
    )
  })

  test("the peer ends inside a frame: after the whole frames, it throws an Error with code 'ERR_FRAME_TRUNCATED'", async () => {
    const { peer, frames } = await framesFromPeer()
    const whole = Buffer.from('whole')
    const truncated = frame(Buffer.from('promised ten')).subarray(0, HEADER_BYTES + 3)
    peer.end(Buffer.concat([frame(whole), truncated]))
    const first = await pull(frames, 'when the peer had sent a whole frame, then part of another, then ended')
    expect(first.done ? 'the end of the iteration' : previews([first.value])[0], 'the first frame, which came whole').toBe(previews([whole])[0])
    const ending = await howItWentOn(frames.next(FRAME_MS, 'readFrames() neither threw nor ended after the peer ended inside a frame'))
    expect(
      ending,
      "the peer ended after 3 of a frame's 12 payload bytes: readFrames() should throw an Error with code 'ERR_FRAME_TRUNCATED' (a quiet end would pass off a cut message as a complete stream)",
    ).toBe('threw ERR_FRAME_TRUNCATED')
  })

  test("rethrows the socket's own error: the peer resets the connection (ECONNRESET)", async () => {
    const { peer, frames } = await framesFromPeer()
    peer.write(frame(Buffer.from('before the reset')))
    await pull(frames, 'when the peer had sent one frame') // your code is reading the socket by now
    const pulling = frames.next(FRAME_MS, 'readFrames() neither threw nor ended after the peer reset the connection')
    peer.resetAndDestroy()
    const ending = await howItWentOn(pulling)
    expect(ending, "the peer reset the connection (an RST): readFrames() should throw the socket's own error, ECONNRESET, not end as if all was well").toBe(
      'threw ECONNRESET',
    )
  })

  test('stopping early (return(), which break in a for await loop calls) destroys the socket: the peer sees it close', async () => {
    const { peer, socket, frames } = await framesFromPeer()
    const peerSawClose = new Promise<void>((resolve) => peer.once('end', resolve).once('close', resolve))
    peer.write(Buffer.concat([frame(Buffer.from('one')), frame(Buffer.from('two'))]))
    await pull(frames, 'when the peer had sent two frames')
    await frames.return(FRAME_MS, "readFrames()'s return() never settled (what break out of a for await loop calls)")
    await within(
      FRAME_MS,
      'after the iteration was stopped early (return(), as break does), the peer never saw the connection close: stopping early should destroy the socket',
      peerSawClose,
    )
    expect((await socket.refresh()).destroyed, 'the socket in your kata process, once the iteration was stopped early').toBe(true)
  })
})

describe('writeFrame(socket, payload)', () => {
  test('puts exactly the 4-byte big-endian length and the payload on the wire, frame after frame', async () => {
    const { peer, socket } = await connection()
    const backing = Uint8Array.from(Buffer.from('xx12345678yy'))
    const payloads = [new Uint8Array(backing.buffer, 2, 8), new Uint8Array(0), Uint8Array.from(Buffer.from('☃'))]
    for (const payload of payloads) await within(FRAME_MS, 'writeFrame() never returned', writeFrame(socket, payload))
    await socket.end()
    const wire = await everythingUntilEnd(peer)
    const expected = Buffer.concat(payloads.map((payload) => frame(Buffer.from(payload))))
    expect(
      wire.toString('hex'),
      'the bytes on the wire (hex) after writeFrame() of 8 bytes (a view into a larger buffer), 0 bytes and ☃: each frame is its length as 4 bytes, unsigned big-endian, then exactly the payload',
    ).toBe(expected.toString('hex'))
  })

  test('returns what socket.write() returned: true while Node\'s buffer has room, false once a frame fills it past writableHighWaterMark', async () => {
    const { socket } = await connection()
    await socket.cork() // writes stay in Node's buffer: what write() returns no longer depends on how much the kernel takes at once
    const small = await within(FRAME_MS, 'writeFrame() never returned', writeFrame(socket, Buffer.from('small')))
    expect(small, "writeFrame() of a 5-byte frame on a socket whose buffer was empty: socket.write() returns true while Node's buffer is under writableHighWaterMark").toBe(true)
    const large = await within(FRAME_MS, 'writeFrame() never returned', writeFrame(socket, Buffer.alloc(LARGE_WRITE_BYTES)))
    expect(
      large,
      `writeFrame() of a ${LARGE_WRITE_BYTES}-byte frame: a write that leaves Node's buffer past writableHighWaterMark returns false (wait for 'drain'), and writeFrame() should return it`,
    ).toBe(false)
  })
})

/** Every byte the peer receives until the other end finishes sending, bounded. */
async function everythingUntilEnd(peer: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  const ended = new Promise<void>((resolve, reject) => void peer.on('data', (chunk: Buffer) => chunks.push(chunk)).once('end', resolve).once('error', reject))
  await within(FRAME_MS, 'the peer never saw the end of what writeFrame() wrote (the test ended the socket after it)', ended).catch((error: Error) => {
    throw new Error(`${error.message}; it received ${bytesPreview(Buffer.concat(chunks))}`)
  })
  return Buffer.concat(chunks)
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}
