import { describe, expect, test } from 'vitest'
import { lookupDoubles, type LookupOptions, type LookupReport } from './lookup.ts'

type Answer = { error: NodeJS.ErrnoException | null; address?: unknown; family?: number }

function make(options: LookupOptions) {
  const double = lookupDoubles['lookup']!({ ...options })
  const lookup = double.value as (hostname: string, options: unknown, callback?: unknown) => void
  const ask = (lookupOptions: unknown): Promise<Answer> =>
    new Promise((resolve) => {
      const callback = (error: NodeJS.ErrnoException | null, address?: unknown, family?: number) => resolve({ error, address, family })
      if (lookupOptions === undefined) lookup('svc.test', callback)
      else lookup('svc.test', lookupOptions, callback)
    })
  return { double, ask, report: () => double.control('report', []) as LookupReport }
}

const BOTH = [
  { address: '::1', family: 6 },
  { address: '127.0.0.1', family: 4 },
]

describe('lookup', () => {
  test('answers as dns.lookup does: every address with all: true, the first alone without, one family when asked; never synchronously', async () => {
    const { ask, report } = make({ addresses: BOTH })
    let settled = false
    const all = ask({ all: true }).then((answer) => ((settled = true), answer))
    expect(settled).toBe(false)
    expect(await all).toEqual({ error: null, address: BOTH, family: undefined })
    expect(await ask({})).toEqual({ error: null, address: '::1', family: 6 })
    expect(await ask(undefined)).toEqual({ error: null, address: '::1', family: 6 })
    expect(await ask({ all: true, family: 4 })).toEqual({ error: null, address: [BOTH[1]], family: undefined })
    expect(report().calls).toEqual([
      { hostname: 'svc.test', all: true, family: null, state: 'answered' },
      { hostname: 'svc.test', all: false, family: null, state: 'answered' },
      { hostname: 'svc.test', all: null, family: null, state: 'answered' },
      { hostname: 'svc.test', all: true, family: 4, state: 'answered' },
    ])
  })

  test("fails with the script's code, as getaddrinfo's failures look; an empty answer is [] with all: true", async () => {
    const failing = make({ error: 'ENOTFOUND' })
    const { error } = await failing.ask({ all: true })
    expect({ code: error?.code, message: error?.message, syscall: error?.syscall }).toEqual({
      code: 'ENOTFOUND',
      message: 'getaddrinfo ENOTFOUND svc.test',
      syscall: 'getaddrinfo',
    })
    expect(failing.report().calls[0]!.state).toBe('failed')
    expect(await make({ addresses: [] }).ask({ all: true })).toEqual({ error: null, address: [], family: undefined })
  })

  test('hold: answers once released; dispose() fails a call still held with ECANCELLED', async () => {
    const held = make({ addresses: BOTH, hold: true })
    let settled = false
    const answer = held.ask({ all: true }).then((value) => ((settled = true), value))
    await new Promise((resolve) => setImmediate(resolve))
    expect([settled, held.report().calls[0]!.state]).toEqual([false, 'held'])
    expect(held.double.control('release', [])).toBe(1)
    expect((await answer).address).toEqual(BOTH)
    const never = make({ addresses: BOTH, hold: true })
    const pending = never.ask({ all: true })
    never.double.dispose?.()
    expect((await pending).error?.code).toBe('ECANCELLED')
    expect(never.report().calls[0]!.state).toBe('cancelled')
  })
})
