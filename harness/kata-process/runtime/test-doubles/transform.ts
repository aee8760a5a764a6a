/**
 * Kata 08's transform: the callback startEofServer(host, transform) is given, made in the kata process
 * so that the learner's server can call it. It records every input it is given and answers as the
 * test's options say: the input upper-cased, or a large reply of a seeded pattern the test can compute
 * too, or a rejection; held, if asked, until the test releases it. It makes no verdict: the test's own
 * clients read what reaches the wire.
 */
import { createHash } from 'node:crypto'
import type { TestDouble, TestDoubleFactory } from './index.ts'

export interface TransformOptions {
  /** What each call resolves with: the input, its ASCII letters upper-cased (the default); or `bytes` bytes of seededPattern(bytes, seed). */
  reply?: 'upper-case' | 'pattern'
  bytes?: number
  seed?: number
  /** A call whose input is exactly this text rejects, with an Error, instead of replying. */
  rejectInput?: string
  /** Each call waits for control('release') before it settles. */
  hold?: boolean
}

/** One call, as control('report') tells it: plain JSON. */
export interface TransformCall {
  /** typeof the argument, or 'Buffer' / the typed array's class. */
  type: string
  bytes: number
  sha256: string
  /** The input as latin1 text, when it is short enough to show (TEXT_LIMIT bytes). */
  text?: string
  state: 'held' | 'resolved' | 'rejected'
}

export interface TransformReport {
  calls: TransformCall[]
}

/** Inputs up to this size are reported whole, as text. */
const TEXT_LIMIT = 4096

/**
 * `bytes` bytes of a pattern fixed by `seed` (xorshift32, little-endian words): what the test expects
 * on the wire for a reply of 'pattern', computed in the test process too. Never repeats within 32 MiB.
 */
export function seededPattern(bytes: number, seed: number): Buffer {
  const words = new Uint32Array(Math.ceil(bytes / 4))
  let state = seed >>> 0 || 0x9e3779b9
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    words[i] = state
  }
  return Buffer.from(words.buffer, 0, bytes)
}

/** ASCII a-z to A-Z, every other byte as it is: the reply of 'upper-case', computed in the test process too. */
export function upperCased(input: Uint8Array): Buffer {
  return Buffer.from(input.map((byte) => (byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte)))
}

function bytesOf(input: unknown): { type: string; bytes: Buffer } {
  if (Buffer.isBuffer(input)) return { type: 'Buffer', bytes: input }
  if (ArrayBuffer.isView(input)) return { type: input.constructor.name, bytes: Buffer.from(input.buffer, input.byteOffset, input.byteLength) }
  return { type: input === null ? 'null' : typeof input, bytes: Buffer.from(String(input)) }
}

const transform: TestDoubleFactory = (raw): TestDouble => {
  const options = raw as TransformOptions
  const calls: TransformCall[] = []
  const held: (() => void)[] = []

  const value = (input: unknown): Promise<Buffer> => {
    const { type, bytes } = bytesOf(input)
    const call: TransformCall = {
      type,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      ...(bytes.length <= TEXT_LIMIT ? { text: bytes.toString('latin1') } : {}),
      state: 'held',
    }
    calls.push(call)
    const answer = (): Buffer => {
      if (options.rejectInput !== undefined && bytes.toString('latin1') === options.rejectInput) {
        call.state = 'rejected'
        throw new Error(`the transform failed for the input ${JSON.stringify(options.rejectInput)} (the test's double rejects it on purpose)`)
      }
      call.state = 'resolved'
      return options.reply === 'pattern' ? seededPattern(options.bytes ?? 0, options.seed ?? 1) : upperCased(bytes)
    }
    if (!options.hold) return Promise.resolve().then(answer)
    return new Promise<void>((resolve) => held.push(resolve)).then(answer)
  }

  const release = (): number => {
    const released = held.splice(0)
    for (const resolve of released) resolve()
    return released.length
  }

  return {
    value,
    control: (command) => {
      if (command === 'report') return { calls } satisfies TransformReport
      if (command === 'release') return release()
      throw new Error(`the transform double has no command ${command} (report, release)`)
    },
    // A call still held when the test ends settles as it would have: no promise of the learner's waits past its test.
    dispose: () => void release(),
  }
}

export const transformDoubles: Record<string, TestDoubleFactory> = { transform }
