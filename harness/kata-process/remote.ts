/**
 * The test process's view of objects that live in the kata process: a server, a socket, a UDP socket,
 * known by handle id, with the plain facts snapshotted the moment they crossed (when a call settled)
 * and fresh ones on request. The learner's errors arrive as RemoteError, with their code.
 */
import { inspect } from 'node:util'
import { within, type Explainable } from '../lifecycle/within.ts'
import { endpoint } from '../sockets/addresses.ts'
import { rebuildValue, type Encoded, type AsyncIterableFacts, type ErrorFacts, type HandleFacts, type ObjectFacts, type ServerFacts, type SocketFacts, type UdpSocketFacts } from './protocol.ts'

/** What a remote object needs of the kata process that holds it. */
export interface HandleHost {
  invoke(handle: number, op: string, args: unknown[]): Promise<unknown>
  /** Starts watching a wait on the host's answer: if it runs out, why, when the host can tell (the learner's code kept it busy). */
  watchWait?(): Explainable
}

export abstract class RemoteHandle<F extends HandleFacts = HandleFacts> {
  constructor(
    protected readonly host: HandleHost,
    readonly id: number,
    /** The facts at the moment this object crossed (when the call that returned it settled). */
    readonly facts: F,
  ) {}

  /** The facts now. */
  async refresh(): Promise<F> {
    return (await this.host.invoke(this.id, 'facts', [])) as F
  }

  close(): Promise<void> {
    return this.host.invoke(this.id, 'close', []) as Promise<void>
  }

  toString(): string {
    return describeFacts(this.facts)
  }

  [inspect.custom](): string {
    return describeFacts(this.facts)
  }
}

export class RemoteServer extends RemoteHandle<ServerFacts> {
  /** The port it listened on when it crossed. */
  get port(): number | undefined {
    const { address } = this.facts
    return address && typeof address === 'object' ? address.port : undefined
  }

  /** The path it listened on when it crossed, for a server on a Unix domain socket (a pipe, to Node). */
  get path(): string | undefined {
    const { address } = this.facts
    return typeof address === 'string' ? address : undefined
  }

  /** Makes the server report an accept() that failed (EMFILE), as Node reports one: an 'error' event. */
  failAccept(): Promise<void> {
    return this.host.invoke(this.id, 'fail-accept', []) as Promise<void>
  }
}

export class RemoteSocket extends RemoteHandle<SocketFacts> {
  write(bytes: string | Uint8Array): Promise<void> {
    return this.host.invoke(this.id, 'write', [typeof bytes === 'string' ? Buffer.from(bytes) : bytes]) as Promise<void>
  }

  /**
   * Writes `byteCount` zero bytes, made in the kata process rather than sent over the channel (megabytes
   * would keep both processes busy for a while); resolves once the socket has written them all.
   */
  writeZeros(byteCount: number): Promise<void> {
    return this.host.invoke(this.id, 'write-zeros', [byteCount]) as Promise<void>
  }

  end(): Promise<void> {
    return this.host.invoke(this.id, 'end', []) as Promise<void>
  }

  /**
   * socket.cork(): Node keeps what is written in its own buffer, so that what socket.write() returns
   * depends on that buffer alone (false once it holds writableHighWaterMark bytes), not on how much
   * the kernel took at once. Closing the socket discards what is held.
   */
  cork(): Promise<void> {
    return this.host.invoke(this.id, 'cork', []) as Promise<void>
  }

  /**
   * `rounds` rounds of write(first), write(second) (made once Node has handed `first` to the kernel),
   * then waiting for `replyBytes` bytes, all within `ms`: each round's duration in ms, timed in the kata
   * process where the socket lives, so the channel's own latency is not in it (kata 15's Nagle check).
   */
  writeWriteRead(rounds: number, first: string | Uint8Array, second: string | Uint8Array, replyBytes: number, ms: number): Promise<number[]> {
    const bytes = (data: string | Uint8Array) => (typeof data === 'string' ? Buffer.from(data) : data)
    return this.host.invoke(this.id, 'write-write-read', [rounds, bytes(first), bytes(second), replyBytes, ms]) as Promise<number[]>
  }

  /** The next `byteCount` bytes this socket receives in the kata process, waiting at most `ms`. */
  read(byteCount: number, ms: number): Promise<Buffer> {
    return this.host.invoke(this.id, 'read', [byteCount, ms]) as Promise<Buffer>
  }
}

export class RemoteUdpSocket extends RemoteHandle<UdpSocketFacts> {}

/**
 * An async iterable the learner's code returned (an async generator, say), iterated in the kata
 * process one pull at a time. Each pull is bounded: one still pending after `ms` fails with
 * "<whatDidNotHappen> within <ms>". An error the iteration throws arrives as a RemoteError.
 */
export class RemoteAsyncIterable<T = unknown> extends RemoteHandle<AsyncIterableFacts> {
  /**
   * The iterator's next result, as `for await` would take it. With `boundFrom`, the pull starts now
   * and its `ms` counts from when `boundFrom` settles: for a test that has more to do (bounded on its
   * own) before the learner's code can be expected to answer.
   */
  next(ms: number, whatDidNotHappen: string, boundFrom?: Promise<unknown>): Promise<IteratorResult<T, undefined>> {
    return this.pull('iterator-next', ms, whatDidNotHappen, boundFrom)
  }

  /** Stops the iteration early, as `break` out of a `for await` loop does (the iterator's return()). */
  return(ms: number, whatDidNotHappen: string): Promise<IteratorResult<T, undefined>> {
    return this.pull('iterator-return', ms, whatDidNotHappen)
  }

  private async pull(op: string, ms: number, whatDidNotHappen: string, boundFrom?: Promise<unknown>): Promise<IteratorResult<T, undefined>> {
    const answer = this.host.invoke(this.id, op, []) as Promise<IteratorResult<T, undefined>>
    if (boundFrom) await Promise.race([answer, boundFrom]).catch(() => {}) // either one's rejection is reported where it is awaited
    const watch = this.host.watchWait?.()
    return within(ms, whatDidNotHappen, Object.assign(answer, { explainTimeout: (waitedMs: number) => watch?.explainTimeout(waitedMs) }))
  }
}

/** Any other object with a class of its own. */
export class RemoteObject extends RemoteHandle<ObjectFacts> {}

/** An error the learner's code rejected or threw with, as it was in the kata process. */
export class RemoteError extends Error {
  readonly code?: string
  readonly syscall?: string
  readonly errno?: number
  readonly address?: string
  readonly port?: number

  constructor(facts: ErrorFacts) {
    super(facts.message)
    this.name = facts.name
    const { code, syscall, errno, address, port } = facts
    Object.assign(this, JSON.parse(JSON.stringify({ code, syscall, errno, address, port })))
    if (facts.stack) this.stack = facts.stack
  }
}

/** A value from the kata process, rebuilt: remote objects for its servers and sockets. */
export function decode(encoded: Encoded, host: HandleHost): unknown {
  return rebuildValue(encoded, {
    handle: (id, facts) => remoteHandle(id, facts, host),
    bytes: (bytes) => Buffer.from(bytes.base64, 'base64'),
    error: (facts) => new RemoteError(facts),
    opaque: (description) => new RemoteValue(description),
  })
}

function remoteHandle(id: number, facts: HandleFacts, host: HandleHost): RemoteHandle {
  switch (facts.type) {
    case 'net.Server':
      return new RemoteServer(host, id, facts)
    case 'net.Socket':
      return new RemoteSocket(host, id, facts)
    case 'dgram.Socket':
      return new RemoteUdpSocket(host, id, facts)
    case 'async-iterable':
      return new RemoteAsyncIterable(host, id, facts)
    case 'object':
      return new RemoteObject(host, id, facts)
  }
}

/** A value that cannot be rebuilt here (a function, a promise), shown as the kata process described it. */
export class RemoteValue {
  constructor(readonly description: string) {}
  [inspect.custom](): string {
    return this.description
  }
}

/** An argument as it crosses: bytes keep their place in a larger buffer, remote objects go by id. */
export function encodeArgument(value: unknown): Encoded {
  if (value instanceof RemoteHandle) return { k: 'handle', id: value.id, facts: value.facts }
  if (value === undefined) return { k: 'undefined' }
  if (value === null) return { k: 'null' }
  if (typeof value === 'boolean') return { k: 'boolean', v: value }
  if (typeof value === 'string') return { k: 'string', v: value }
  if (typeof value === 'number') return { k: 'number', v: Object.is(value, -0) ? '-0' : String(value) }
  if (typeof value === 'bigint') return { k: 'bigint', v: String(value) }
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    const type = Buffer.isBuffer(value) ? 'Buffer' : value.constructor.name
    return { k: 'bytes', type, base64: bytes.toString('base64'), offset: value.byteOffset, backing: value.buffer.byteLength }
  }
  if (Array.isArray(value)) return { k: 'array', items: value.map(encodeArgument) }
  if (typeof value === 'object') return { k: 'object', className: 'Object', entries: Object.entries(value).map(([key, item]) => [key, encodeArgument(item)]) }
  throw new Error(`an argument of type ${typeof value} cannot be sent to the kata process`)
}

/** "a server listening on 127.0.0.1:41234", "a socket connected 127.0.0.1:5000 -> 127.0.0.1:41234", ... */
export function describeFacts(facts: HandleFacts): string {
  switch (facts.type) {
    case 'net.Server':
      return `a server ${listeningStateOf(facts)}`
    case 'net.Socket':
      return describeSocket(facts)
    case 'dgram.Socket':
      return facts.address ? `a UDP socket bound to ${endpoint(facts.address.address, facts.address.port)}` : 'a UDP socket (closed or never bound)'
    case 'async-iterable':
      return `an async iterable (${facts.className})`
    case 'object':
      return `a ${facts.className}: ${facts.text}`
  }
}

/** "listening on 127.0.0.1:41234", or "not listening" (yet, or any more). */
export function listeningStateOf(facts: ServerFacts): string {
  const { address } = facts
  if (address === null) return 'not listening'
  if (typeof address === 'string') return `listening on a pipe at ${address}`
  return `listening on ${endpoint(address.address, address.port)}`
}

function describeSocket(facts: SocketFacts): string {
  if (facts.destroyed) return 'a destroyed socket'
  if (facts.connecting) return 'a socket still connecting'
  const local = facts.local ? endpoint(facts.local.address, facts.local.port) : '?'
  const remote = facts.remote ? endpoint(facts.remote.address, facts.remote.port) : '?'
  return `a socket connected ${local} -> ${remote}`
}
