/**
 * What the test process and the kata process say to each other over the IPC channel, and how values
 * cross it. Objects that live in the kata process (servers, sockets) never cross: they are named by
 * handle ids, with a snapshot of their plain facts taken the moment they crossed.
 *
 * Everything the kata process sends is untrusted: the learner's code shares that process and can send
 * messages of its own. The test process uses these messages for what only the kata process can know
 * (how a call ended, listener counts); the kernel and the wire decide the rest.
 */

/** A value as it crosses the channel. */
export type Encoded =
  | { k: 'undefined' }
  | { k: 'null' }
  | { k: 'boolean'; v: boolean }
  /** As String(n), so that NaN, -0 and Infinity survive JSON. */
  | { k: 'number'; v: string }
  | { k: 'string'; v: string }
  | { k: 'bigint'; v: string }
  | { k: 'symbol'; v: string }
  /** A Buffer or typed array: its bytes, and where they sit in the ArrayBuffer behind them. */
  | { k: 'bytes'; type: string; base64: string; offset: number; backing: number }
  | { k: 'array'; items: Encoded[] }
  | { k: 'object'; className: string; entries: [string, Encoded][] }
  | { k: 'error'; error: ErrorFacts }
  | { k: 'handle'; id: number; facts: HandleFacts }
  | { k: 'function'; name: string }
  | { k: 'promise' }
  /** Anything else, or what lies past the depth limit: util.inspect's text. */
  | { k: 'other'; text: string }

/** What each side makes of the values only it can rebuild: objects known by id, bytes, errors, and the rest. */
export interface Rebuild {
  handle(id: number, facts: HandleFacts): unknown
  bytes(encoded: Extract<Encoded, { k: 'bytes' }>): unknown
  error?(facts: ErrorFacts): unknown
  opaque?(description: string): unknown
}

/** A value rebuilt from how it crossed: plain values here, the rest by `rebuild`. */
export function rebuildValue(encoded: Encoded, rebuild: Rebuild): unknown {
  switch (encoded.k) {
    case 'undefined':
      return undefined
    case 'null':
      return null
    case 'boolean':
    case 'string':
      return encoded.v
    case 'number':
      return Number(encoded.v)
    case 'bigint':
      return BigInt(encoded.v)
    case 'symbol':
      return Symbol(encoded.v.replace(/^Symbol\((.*)\)$/, '$1'))
    case 'bytes':
      return rebuild.bytes(encoded)
    case 'array':
      return encoded.items.map((item) => rebuildValue(item, rebuild))
    case 'object':
      return Object.fromEntries(encoded.entries.map(([key, value]) => [key, rebuildValue(value, rebuild)]))
    case 'handle':
      return rebuild.handle(encoded.id, encoded.facts)
    case 'error':
      return opaqueOr(rebuild.error?.(encoded.error), rebuild, `an error: ${encoded.error.message}`)
    case 'function':
      return opaqueOr(undefined, rebuild, `a function${encoded.name ? ` named ${encoded.name}` : ''}`)
    case 'promise':
      return opaqueOr(undefined, rebuild, 'a promise (not awaited)')
    case 'other':
      return opaqueOr(undefined, rebuild, encoded.text)
  }
}

function opaqueOr(value: unknown, rebuild: Rebuild, description: string): unknown {
  if (value !== undefined) return value
  if (!rebuild.opaque) throw new Error(`${description} cannot be sent to the kata process`)
  return rebuild.opaque(description)
}

export interface ErrorFacts {
  name: string
  message: string
  code?: string
  syscall?: string
  errno?: number
  address?: string
  port?: number
  /** With source-mapped frames: the learner's own .ts lines. */
  stack?: string
}

export interface Endpoint {
  address: string
  port: number
  family?: string
}

/** Listener counts by event name, as emitter.listenerCount() gives them. */
export type ListenerCounts = Record<string, number>

export type HandleFacts = ServerFacts | SocketFacts | UdpSocketFacts | AsyncIterableFacts | ObjectFacts

export interface ServerFacts {
  type: 'net.Server'
  listening: boolean
  /** server.address(): an endpoint, a pipe path, or null when not listening. */
  address: Endpoint | string | null
  maxConnections: number | null
  listeners: ListenerCounts
}

export interface SocketFacts {
  type: 'net.Socket'
  destroyed: boolean
  connecting: boolean
  local: Endpoint | null
  remote: Endpoint | null
  /** socket.timeout: the idle timeout set with setTimeout(), if any. */
  timeoutMs: number | null
  /** The handle id of the server that accepted it, when one did. */
  acceptedBy: number | null
  readableEnded: boolean
  writableEnded: boolean
  /** What Node counts, in the kata process: bytes read from the kernel, and written or queued to it. */
  bytesRead: number
  bytesWritten: number
  /** Bytes in Node's user-space write buffer, and the mark past which write() returns false. */
  writableLength: number
  writableHighWaterMark: number
  listeners: ListenerCounts
}

export interface UdpSocketFacts {
  type: 'dgram.Socket'
  /** Bound and not closed. */
  open: boolean
  address: Endpoint | null
  listeners: ListenerCounts
}

/** An async iterable (an async generator, say): the test pulls its results one at a time (see runtime/iteration.ts). */
export interface AsyncIterableFacts {
  type: 'async-iterable'
  className: string
}

/** Any other object with a class of its own (an EventEmitter, say): known by its class name. */
export interface ObjectFacts {
  type: 'object'
  className: string
  text: string
}

/** What the kata process noticed while one call ran (the learner's code, through Node's own APIs). */
export interface Observed {
  /** Every server.listen() call, in order. */
  listenCalls: { handle: number; port: number; host: string | null; backlog: number | null }[]
  /** Whether a 'message' listener was added to a UDP socket: waiting for a reply. */
  listenedForUdpMessages: boolean
  /** The sockets this call created that were still open the moment it settled, described. */
  openAtSettle: string[]
}

/** Something the learner's code still holds once the test has released what it owns. */
export interface Leftover {
  kind: 'tcp-server' | 'tcp-socket' | 'udp-socket' | 'timer' | 'interval' | 'handle' | 'unix-server'
  /** Whether it keeps the process alive (false after unref()). */
  ref: boolean
  /** "a TCP server listening on 127.0.0.1:41234", "a 10 s timer" */
  description: string
  /** The local port, to match it with the kernel's row. */
  localPort?: number
  /** Where the learner's code created it (timers): "refused.ts:17". */
  createdAt?: string
}

export type CreateRequest =
  | { what: 'tcp-server'; host: string; backlog?: number }
  /** allowHalfOpen: Node leaves the socket writable after the peer's FIN (net.connect's option; off by default). */
  | { what: 'tcp-connection'; host: string; port: number; allowHalfOpen?: boolean }
  /** A callback or an iterable for the learner's code (runtime/test-doubles). */
  | { what: 'test-double'; name: string; options: Record<string, unknown> }

export type ToKata =
  | { type: 'load'; id: number; file: string; code: string }
  | { type: 'call'; id: number; fn: string; args: Encoded[] }
  | { type: 'create'; id: number; request: CreateRequest }
  | { type: 'invoke'; id: number; handle: number; op: string; args: Encoded[] }
  | { type: 'test-start'; id: number; stryker?: StrykerState }
  /** The end of a test: close what it owns, write `mark` on stdout and stderr, report what is left. */
  | { type: 'release'; id: number; mark: string }
  | { type: 'ping'; id: number }

export type FromKata =
  | { type: 'ready' }
  | { type: 'returned'; id: number; promise: boolean }
  | { type: 'settled'; id: number; resolved: boolean; value: Encoded; elapsedMs: number; observed: Observed }
  | { type: 'threw'; id: number; error: Encoded }
  | { type: 'reply'; id: number; ok: true; value: Encoded; extra?: Record<string, unknown> }
  | { type: 'reply'; id: number; ok: false; error: ErrorFacts }
  | { type: 'released'; id: number; leftovers: Leftover[]; stryker?: StrykerCoverage }
  /** An error nobody handled: the process dies right after (with Stryker's counts so far, which die with it otherwise). */
  | { type: 'uncaught'; kind: 'exception' | 'rejection'; error: Encoded; stryker?: StrykerCoverage }

/** Stryker's mutation-testing state, carried into the kata process (see stryker-bridge.ts). */
export interface StrykerState {
  activeMutant?: string
  currentTestId?: string
  hitLimit?: number
}

export interface StrykerCoverage {
  mutantCoverage?: { static: Record<string, number>; perTest: Record<string, Record<string, number>> }
  hitCount?: number
}
