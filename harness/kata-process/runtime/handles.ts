/**
 * The objects the test process knows by id: servers and sockets that crossed the channel, and those
 * the test asked for. What the test owns is closed when the test releases it.
 */
import dgram from 'node:dgram'
import net from 'node:net'
import { inspect } from 'node:util'
import type { Endpoint, HandleFacts, ListenerCounts } from '../protocol.ts'
import { isAsyncIterable } from './iteration.ts'
import { disposeTestDouble } from './test-doubles/index.ts'

const byId = new Map<number, object>()
const idOf = new WeakMap<object, number>()
const owned = new Set<object>()
let nextId = 1

export type SocketObject = net.Server | net.Socket | dgram.Socket

/** The objects that cross as handles rather than as values. */
export function isHandleObject(value: unknown): value is SocketObject {
  return value instanceof net.Server || value instanceof net.Socket || value instanceof dgram.Socket
}

/** The id `object` is known by, given one if it has none yet. */
export function handleIdOf(object: object): number {
  let id = idOf.get(object)
  if (id === undefined) {
    id = nextId++
    idOf.set(object, id)
    byId.set(id, object)
  }
  return id
}

/** Marks `object` as the test's: it is closed when the test ends. */
export function own(object: object): number {
  owned.add(object)
  return handleIdOf(object)
}

export function objectById(id: number): object {
  const object = byId.get(id)
  if (!object) throw new Error(`no object with handle ${id} in the kata process (it was released when its test ended)`)
  return object
}

export function factsOf(object: object): HandleFacts {
  if (object instanceof net.Server) {
    return {
      type: 'net.Server',
      listening: object.listening,
      address: endpointOf(object.address()),
      maxConnections: Number.isFinite(object.maxConnections) ? object.maxConnections : null,
      listeners: listenerCounts(object),
    }
  }
  if (object instanceof net.Socket) {
    const accepting = (object as net.Socket & { server?: net.Server }).server
    return {
      type: 'net.Socket',
      destroyed: object.destroyed,
      connecting: object.connecting,
      local: object.localPort ? { address: object.localAddress ?? '', port: object.localPort, family: object.localFamily } : null,
      remote: object.remotePort ? { address: object.remoteAddress ?? '', port: object.remotePort, family: object.remoteFamily } : null,
      timeoutMs: typeof object.timeout === 'number' && object.timeout > 0 ? object.timeout : null,
      acceptedBy: accepting ? handleIdOf(accepting) : null,
      readableEnded: object.readableEnded,
      writableEnded: object.writableEnded,
      bytesRead: object.bytesRead,
      bytesWritten: object.bytesWritten,
      writableLength: object.writableLength,
      writableHighWaterMark: object.writableHighWaterMark,
      listeners: listenerCounts(object),
    }
  }
  if (object instanceof dgram.Socket) {
    const address = udpAddress(object)
    return { type: 'dgram.Socket', open: address !== null, address, listeners: listenerCounts(object) }
  }
  const className = object.constructor?.name ?? 'Object'
  if (isAsyncIterable(object)) return { type: 'async-iterable', className: Object.prototype.toString.call(object).slice(8, -1) }
  return { type: 'object', className, text: inspect(object, { depth: 1, breakLength: Infinity }).slice(0, 500) }
}

function endpointOf(address: net.AddressInfo | string | null): Endpoint | string | null {
  if (address === null || typeof address === 'string') return address
  return { address: address.address, port: address.port, family: address.family }
}

function udpAddress(socket: dgram.Socket): Endpoint | null {
  try {
    const { address, port, family } = socket.address()
    return { address, port, family }
  } catch {
    return null // closed, or never bound
  }
}

function listenerCounts(emitter: NodeJS.EventEmitter): ListenerCounts {
  return Object.fromEntries(emitter.eventNames().map((name) => [String(name), emitter.listenerCount(name)]))
}

/** Closes everything the test owns, and the connections its servers accepted; forgets every id. */
export function releaseOwned(acceptedBy: (server: net.Server) => net.Socket[]): void {
  for (const object of owned) {
    if (object instanceof net.Server) for (const socket of acceptedBy(object)) socket.destroy()
    forceClose(object)
  }
  owned.clear()
  byId.clear()
}

export function forceClose(object: object): void {
  try {
    if (object instanceof net.Server) object.close()
    else if (object instanceof net.Socket) object.destroy()
    else if (object instanceof dgram.Socket) object.close()
    else disposeTestDouble(object)
  } catch {
    // already closed
  }
}
