import { expect, test } from 'vitest'
import { katasDir } from '../paths.ts'
import { testRealmGuard } from './test-realm-guard.ts'

const resolveId = (source: string, importer?: string) => {
  const plugin = testRealmGuard(katasDir)
  return (plugin.resolveId as (source: string, importer?: string) => string | null)(source, importer)
}

const testFile = `${katasDir}/01-bind/bind.test.ts`

test("a kata test importing its kata's file at run time is refused, with the way to do it instead", () => {
  expect(() => resolveId('./bind.ts', testFile)).toThrow("01-bind/bind.test.ts imports ./bind.ts at run time, which would run the learner's code inside the test process")
  expect(() => resolveId('./helper.ts', testFile)).toThrow('kataUnderTest')
})

test('every other import is left alone', () => {
  expect(resolveId('../../harness/lifecycle/within.ts', testFile)).toBeNull()
  expect(resolveId('node:net', testFile)).toBeNull()
  expect(resolveId('./helper.ts', `${katasDir}/01-bind/bind.ts`)).toBeNull()
  expect(resolveId('../02-port-zero/port-zero.test.ts', testFile)).toBeNull()
})
