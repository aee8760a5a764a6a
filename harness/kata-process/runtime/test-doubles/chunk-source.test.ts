import { createHash } from 'node:crypto'
import net from 'node:net'
import { describe, expect, test } from 'vitest'
import { chunkSourceDoubles, seededBytes, VIEW_MARGIN, type ChunkSourceOptions, type ChunkSourceReport } from './chunk-source.ts'

function make(options: ChunkSourceOptions) {
  const double = chunkSourceDoubles['chunk-source']!({ ...options })
  return { double, report: () => double.control('report', []) as ChunkSourceReport }
}

describe('chunk-source', () => {
  test('seededBytes is one stream: the same bytes however it is cut, other bytes for another seed', () => {
    const whole = seededBytes(1)(10_000)
    const cut = seededBytes(1)
    expect(Buffer.concat([cut(3), cut(4997), cut(5000)]).equals(whole)).toBe(true)
    expect(seededBytes(2)(10_000).equals(whole)).toBe(false)
  })

  test('a sync source hands out count chunks of size bytes, then done; it records pulls, the SHA-256, and return()', () => {
    const { double, report } = make({ count: 3, size: 1000, seed: 7 })
    const chunks = [...(double.value as Iterable<Uint8Array>)]
    expect(chunks.map((chunk) => [Buffer.isBuffer(chunk), chunk.byteLength])).toEqual([[true, 1000], [true, 1000], [true, 1000]])
    const expected = createHash('sha256').update(seededBytes(7)(3000)).digest('hex')
    expect(report()).toMatchObject({ opened: true, pulls: 4, chunks: 3, bytes: 3000, ranOut: true, returned: false, sha256: expected })
    const again = make({ count: 3, size: 1000, seed: 7 })
    for (const chunk of again.double.value as Iterable<Uint8Array>) if (chunk) break // break calls return()
    expect(again.report()).toMatchObject({ pulls: 1, chunks: 1, returned: true, ranOut: false })
  })

  test('views: each chunk a Uint8Array in the middle of a larger buffer whose other bytes are not the chunk', () => {
    const { double } = make({ count: 1, size: 100, seed: 3, views: true })
    const [view] = [...(double.value as Iterable<Uint8Array>)]
    expect(Buffer.isBuffer(view)).toBe(false)
    expect([view!.byteOffset, view!.byteLength, view!.buffer.byteLength]).toEqual([VIEW_MARGIN, 100, 100 + 2 * VIEW_MARGIN])
    expect(Buffer.from(view!).equals(seededBytes(3)(100))).toBe(true)
    expect(new Uint8Array(view!.buffer, 0, VIEW_MARGIN).every((byte) => byte === 0xee)).toBe(true)
  })

  test('an async source holds the pull at holdAt until released; dispose() ends a held pull', async () => {
    const { double, report } = make({ count: 3, size: 10, seed: 1, async: true, holdAt: 1 })
    const iterator = (double.value as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    expect((await iterator.next()).done).toBe(false)
    const held = iterator.next()
    expect(report().holding).toBe(true)
    double.control('release', [])
    expect(((await held).value as Uint8Array).byteLength).toBe(10)
    expect(report()).toMatchObject({ holding: false, pulls: 2, chunks: 2 })
    const other = make({ count: 3, size: 10, seed: 1, async: true, holdAt: 0 })
    const pending = (other.double.value as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]().next()
    other.double.dispose?.()
    expect(await pending).toEqual({ done: true, value: undefined })
  })

  test("watch: each pull samples the socket's writableLength; the first pull at or past writableHighWaterMark is recorded", () => {
    const socket = new net.Socket()
    const { double, report } = make({ count: 2, size: 10, seed: 1 })
    double.control('watch', [socket])
    const iterator = (double.value as Iterable<Uint8Array>)[Symbol.iterator]()
    iterator.next()
    Object.defineProperty(socket, 'writableLength', { value: socket.writableHighWaterMark })
    iterator.next()
    expect(report().atPulls).toEqual({ samples: 2, most: socket.writableHighWaterMark, firstAtMark: { pull: 2, writableLength: socket.writableHighWaterMark } })
    expect(() => double.control('watch', ['not a socket'])).toThrow(/watches a TCP socket/)
  })
})
