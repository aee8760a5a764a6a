import net from 'node:net'
import { expect, test } from 'vitest'
import { describeOutcome, outcome } from './outcome.ts'

test('outcome turns a resolution or a rejection into a value, but lets a deadline through', async () => {
  await expect(outcome(100, 'x', Promise.resolve(3))).resolves.toEqual({ resolved: true, value: 3 })
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
  await expect(outcome(100, 'x', Promise.reject(refused))).resolves.toEqual({ resolved: false, error: refused })
  await expect(outcome(10, 'it never settled', new Promise(() => {}))).rejects.toThrow('it never settled within 10 ms')
})

test('describeOutcome says how a call ended in a sentence', () => {
  const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use'), { code: 'EADDRINUSE' })
  expect(describeOutcome({ resolved: false, error: inUse })).toBe('rejected with EADDRINUSE (listen EADDRINUSE: address already in use)')
  expect(describeOutcome({ resolved: false, error: new Error('nope') })).toMatch(/^rejected with an error that has no code: Error: nope/)
  expect(describeOutcome({ resolved: true, value: net.createServer() })).toBe('resolved with a server not listening')
  expect(describeOutcome({ resolved: true, value: { ok: false, code: 'ETIMEDOUT' } })).toBe(
    "resolved with { ok: false, code: 'ETIMEDOUT' }",
  )
})
