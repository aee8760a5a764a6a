import { EventEmitter } from 'node:events'
import { describe, expect, test } from 'vitest'
import { DeadlineError, formatDuration, nextEvent, until, within } from './within.ts'

describe('within', () => {
  test('passes a result or a rejection through unchanged', async () => {
    await expect(within(1000, 'never', Promise.resolve(42))).resolves.toBe(42)
    await expect(within(1000, 'never', Promise.reject(new Error('boom')))).rejects.toThrow('boom')
  })

  test('says what did not happen, and within how long', async () => {
    const error = await within(20, 'the server never emitted listening', new Promise<never>(() => {})).catch((e: Error) => e)
    expect(error).toBeInstanceOf(DeadlineError)
    expect(error.message).toBe('the server never emitted listening within 20 ms')
  })
})

describe('nextEvent', () => {
  test("resolves with the event's arguments and removes its listeners", async () => {
    const emitter = new EventEmitter()
    const waiting = nextEvent(emitter, 'ready', 1000, 'never ready')
    emitter.emit('ready', 1, 2)
    await expect(waiting).resolves.toEqual([1, 2])
    expect(emitter.listenerCount('ready') + emitter.listenerCount('error')).toBe(0)
  })

  test("rejects with an 'error' event instead", async () => {
    const emitter = new EventEmitter()
    const waiting = nextEvent(emitter, 'ready', 1000, 'never ready')
    emitter.emit('error', new Error('refused'))
    await expect(waiting).rejects.toThrow('refused')
  })
})

test('until checks a condition until it holds, or says what never happened', async () => {
  let n = 0
  await until(1000, 'never reached 3', () => ++n >= 3, 1)
  expect(n).toBe(3)
  await expect(until(20, 'the queue never drained', () => false)).rejects.toThrow('the queue never drained within 20 ms')
})

test('formatDuration speaks in ms below a second and in s above', () => {
  expect([formatDuration(300), formatDuration(2000), formatDuration(1500), formatDuration(12.4)]).toEqual([
    '300 ms',
    '2 s',
    '1.5 s',
    '12 ms',
  ])
})

test('bytesPreview shows printable bytes as text and the rest as hex, the first 64 only', async () => {
  const { bytesPreview } = await import('../sockets/tcp-peers.ts')
  expect(bytesPreview(Buffer.from('ping\n'))).toBe('"ping\\n"')
  expect(bytesPreview(Buffer.from([0, 1, 255]))).toBe('00 01 ff')
  expect(bytesPreview(Buffer.alloc(70, 0x61))).toBe(`"${'a'.repeat(64)}" … (6 more)`)
})
