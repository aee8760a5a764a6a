/**
 * Kata 10's source of chunks: the iterable writeAll(socket, chunks) is given, made in the kata process
 * so that the learner's code pulls from it there. It hands out `count` chunks of `size` bytes of a
 * stream fixed by `seed` (the test computes the same bytes with seededBytes()), as a sync iterable or
 * an async one, and records how it was taken: each pull (a next() call), Node's buffer on the watched
 * socket at that moment (writableLength: how full it was when the code asked for more), whether the
 * iterator was closed (return()), and the SHA-256 of what it handed out. An async source can hold one
 * pull until the test releases it (a slow producer). It makes no verdict: the test's peer reads the wire.
 */
import { createCipheriv, createHash } from 'node:crypto'
import net from 'node:net'
import type { TestDouble, TestDoubleFactory } from './index.ts'

export interface ChunkSourceOptions {
  /** How many chunks, and the bytes of each. */
  count: number
  size: number
  /** Fixes the bytes (see seededBytes). */
  seed: number
  /** An async iterable (each next() returns a promise), else a sync one (an array would do as well). */
  async?: boolean
  /** Each chunk a Uint8Array view into the middle of a larger buffer (VIEW_MARGIN bytes of 0xee either side), not a Buffer. */
  views?: boolean
  /** The pull of this chunk (0 for the first) waits for control('release'). Async sources only. */
  holdAt?: number
}

/** What control('report') says: plain JSON. */
export interface ChunkSourceReport {
  /** [Symbol.iterator]() or [Symbol.asyncIterator]() was called. */
  opened: boolean
  /** next() calls, the one that was told done included. */
  pulls: number
  /** Chunks handed out, and their bytes. */
  chunks: number
  bytes: number
  /** Whether a next() was answered done: the source ran out. */
  ranOut: boolean
  /** return() was called: the iterator was closed, as a for loop closes it when its body throws or breaks. */
  returned: boolean
  /** Whether the pull at holdAt is waiting for control('release') now. */
  holding: boolean
  /**
   * The watched socket's writableLength sampled at each pull (from control('watch', socket) on), summed up,
   * since a report crosses the channel as plain JSON with at most 100 items an array: the most it held,
   * and the first pull (1 for the first) made while it held writableHighWaterMark bytes or more.
   */
  atPulls: { samples: number; most: number; firstAtMark: { pull: number; writableLength: number } | null }
  /** The watched socket's writableHighWaterMark, once one is watched. */
  writableHighWaterMark: number | null
  /** Of the bytes handed out, in order. */
  sha256: string
}

/** The bytes either side of a view, in the buffer behind it: not the chunk's. */
export const VIEW_MARGIN = 16
const MARGIN_BYTE = 0xee

/**
 * The source's bytes: one stream fixed by `seed` (AES-128-CTR's keystream, so no pattern repeats and
 * it costs little), cut into chunks in order. Call the result with each chunk's size in turn.
 */
export function seededBytes(seed: number): (size: number) => Buffer {
  const key = createHash('sha256').update(`chunk-source ${seed}`).digest().subarray(0, 16)
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  return (size) => cipher.update(Buffer.alloc(size))
}

const chunkSource: TestDoubleFactory = (raw): TestDouble => {
  const options = raw as unknown as ChunkSourceOptions
  const next = seededBytes(options.seed)
  const hash = createHash('sha256')
  let watched: net.Socket | undefined
  /** Settles the held pull: with the next chunk (control('release')), or done (the test is over). */
  let release: ((result: () => IteratorResult<Uint8Array>) => void) | undefined
  const report: ChunkSourceReport = {
    opened: false,
    pulls: 0,
    chunks: 0,
    bytes: 0,
    ranOut: false,
    returned: false,
    holding: false,
    atPulls: { samples: 0, most: 0, firstAtMark: null },
    writableHighWaterMark: null,
    sha256: '',
  }

  const done = (): IteratorResult<Uint8Array> => ({ done: true, value: undefined })
  const take = (): IteratorResult<Uint8Array> => {
    if (report.returned || report.chunks >= options.count) {
      report.ranOut ||= !report.returned
      return done()
    }
    const bytes = next(options.size)
    hash.update(bytes)
    report.chunks++
    report.bytes += bytes.length
    return { done: false, value: options.views ? inTheMiddle(bytes) : bytes }
  }
  const pull = (): void => {
    report.pulls++
    if (!watched) return
    const { writableLength, writableHighWaterMark } = watched
    const { atPulls } = report
    atPulls.samples++
    atPulls.most = Math.max(atPulls.most, writableLength)
    if (writableLength >= writableHighWaterMark) atPulls.firstAtMark ??= { pull: report.pulls, writableLength }
  }
  const close = (): IteratorResult<Uint8Array> => {
    report.returned = true
    return done()
  }

  const value = options.async
    ? {
        [Symbol.asyncIterator]() {
          report.opened = true
          return this
        },
        next(): Promise<IteratorResult<Uint8Array>> {
          pull()
          if (report.pulls - 1 !== options.holdAt) return Promise.resolve(take())
          report.holding = true
          return new Promise((resolve) => {
            release = (result) => {
              report.holding = false
              release = undefined
              resolve(result())
            }
          })
        },
        return: () => Promise.resolve(close()),
      }
    : {
        [Symbol.iterator]() {
          report.opened = true
          return this
        },
        next: (): IteratorResult<Uint8Array> => {
          pull()
          return take()
        },
        return: close,
      }

  return {
    value,
    control: (command, args) => {
      if (command === 'watch') {
        const [socket] = args
        if (!(socket instanceof net.Socket)) throw new Error('chunk-source watches a TCP socket: control("watch", socket)')
        watched = socket
        report.writableHighWaterMark = socket.writableHighWaterMark
        return undefined
      }
      if (command === 'release') {
        if (!release) throw new Error('chunk-source holds no pull to release')
        release(take)
        return undefined
      }
      if (command === 'report') return { ...report, atPulls: structuredClone(report.atPulls), sha256: hash.copy().digest('hex') }
      throw new Error(`chunk-source has no command ${command} (watch, release, report)`)
    },
    dispose: () => release?.(done),
  }
}

/** `bytes` as a Uint8Array view into a larger buffer, with bytes that are not the chunk's either side. */
function inTheMiddle(bytes: Buffer): Uint8Array {
  const backing = new Uint8Array(bytes.length + 2 * VIEW_MARGIN).fill(MARGIN_BYTE)
  backing.set(bytes, VIEW_MARGIN)
  return new Uint8Array(backing.buffer, VIEW_MARGIN, bytes.length)
}

export const chunkSourceDoubles: Record<string, TestDoubleFactory> = { 'chunk-source': chunkSource }
