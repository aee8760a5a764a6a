import { expect, test } from 'vitest'
import { nextKataIdentity } from './identities.ts'

test('without a range, kata processes run as the test does', () => {
  expect(nextKataIdentity(undefined)).toBeUndefined()
})

test("each kata process of a worker takes the next uid of the worker's share of the range, then starts over", () => {
  const uids = Array.from({ length: 27 }, () => nextKataIdentity('61000-61199')!.uid)
  expect(new Set(uids.slice(0, 25)).size).toBe(25)
  expect(uids[25]).toBe(uids[0])
  expect(uids.every((uid) => uid >= 61000 && uid <= 61199)).toBe(true)
  expect(nextKataIdentity('1000-1000')).toEqual({ uid: 1000, gid: 1000 })
  expect(() => nextKataIdentity('1000:1000')).toThrow('expected first-last')
})
