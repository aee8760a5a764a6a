/**
 * Values crossing the channel, on the kata process's side: what a call returned (its servers and
 * sockets become handles the test owns) and the arguments the test sent.
 */
import { inspect } from 'node:util'
import { rebuildValue, type Encoded, type ErrorFacts } from '../protocol.ts'
import { factsOf, isHandleObject, objectById, own } from './handles.ts'
import { isAsyncIterable } from './iteration.ts'

const MAX_DEPTH = 4
const MAX_ITEMS = 100

/** `value` as it crosses to the test process; servers and sockets in it become the test's. */
export function encode(value: unknown, depth = 0): Encoded {
  try {
    return encodeValue(value, depth)
  } catch (error) {
    return { k: 'other', text: `(a value that could not be read: ${(error as Error)?.message})` }
  }
}

function encodeValue(value: unknown, depth: number): Encoded {
  switch (typeof value) {
    case 'undefined':
      return { k: 'undefined' }
    case 'boolean':
      return { k: 'boolean', v: value }
    case 'number':
      return { k: 'number', v: Object.is(value, -0) ? '-0' : String(value) }
    case 'string':
      return { k: 'string', v: value }
    case 'bigint':
      return { k: 'bigint', v: String(value) }
    case 'symbol':
      return { k: 'symbol', v: String(value) }
    case 'function':
      return { k: 'function', name: value.name }
  }
  if (value === null) return { k: 'null' }
  const object = value as object
  if (isHandleObject(object)) return { k: 'handle', id: own(object), facts: factsOf(object) }
  if (object instanceof Error) return { k: 'error', error: errorFacts(object) }
  if (ArrayBuffer.isView(object)) return encodeBytes(object)
  if (typeof (object as PromiseLike<unknown>).then === 'function') return { k: 'promise' }
  // Checked before plain objects: a `{ [Symbol.asyncIterator]() {...} }` literal is iterated, not listed.
  if (isAsyncIterable(object)) return { k: 'handle', id: own(object), facts: factsOf(object) }
  if (depth >= MAX_DEPTH) return { k: 'other', text: inspect(object, { depth: 0 }) }
  if (Array.isArray(object)) return { k: 'array', items: object.slice(0, MAX_ITEMS).map((item) => encode(item, depth + 1)) }
  const prototype = Object.getPrototypeOf(object)
  if (prototype === Object.prototype || prototype === null) {
    const entries = Object.entries(object).slice(0, MAX_ITEMS)
    return { k: 'object', className: 'Object', entries: entries.map(([key, item]) => [key, encode(item, depth + 1)]) }
  }
  return { k: 'handle', id: own(object), facts: factsOf(object) }
}

function encodeBytes(view: ArrayBufferView): Encoded {
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength)
  return { k: 'bytes', type: view.constructor.name, base64: bytes.toString('base64'), offset: view.byteOffset, backing: view.buffer.byteLength }
}

export function errorFacts(error: unknown): ErrorFacts {
  if (!(error instanceof Error)) return { name: typeof error, message: inspect(error, { depth: 2, breakLength: Infinity }) }
  const { name, message, stack } = error
  const { code, syscall, errno, address, port } = error as NodeJS.ErrnoException & { address?: unknown; port?: unknown }
  return {
    name,
    message,
    stack,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof syscall === 'string' ? { syscall } : {}),
    ...(typeof errno === 'number' ? { errno } : {}),
    ...(typeof address === 'string' ? { address } : {}),
    ...(typeof port === 'number' ? { port } : {}),
  }
}

/** An argument the test sent: plain values, bytes (a view into a larger buffer stays one), or a handle to an object here. */
export function decode(encoded: Encoded): unknown {
  return rebuildValue(encoded, { handle: (id) => objectById(id), bytes: decodeBytes })
}

function decodeBytes(encoded: Extract<Encoded, { k: 'bytes' }>): Uint8Array {
  const bytes = Buffer.from(encoded.base64, 'base64')
  if (encoded.type === 'Buffer') return bytes
  const backing = new Uint8Array(Math.max(encoded.backing, encoded.offset + bytes.length))
  backing.set(bytes, encoded.offset)
  return new Uint8Array(backing.buffer, encoded.offset, bytes.length)
}
