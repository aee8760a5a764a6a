import { expect, test } from 'vitest'
import { kataImplementation } from './kata-implementation.ts'
import { katasDir, solutionsDir } from './paths.ts'

const resolveId = (testsRoot: string, implementationRoot: string, source: string, importer?: string) => {
  const plugin = kataImplementation(testsRoot, implementationRoot)
  return (plugin.resolveId as (source: string, importer?: string) => string | null)(source, importer)
}

const testFile = `${katasDir}/01-bind/bind.test.ts`

test("a kata test's import of its own kata file goes to the same file under KATA_IMPL", () => {
  expect(resolveId(katasDir, solutionsDir, './bind.ts', testFile)).toBe(`${solutionsDir}/01-bind/bind.ts`)
})

test('imports that are not the kata file are left alone', () => {
  expect(resolveId(katasDir, solutionsDir, '../../harness/lifecycle/within.ts', testFile)).toBeNull()
  expect(resolveId(katasDir, solutionsDir, 'node:net', testFile)).toBeNull()
  expect(resolveId(katasDir, solutionsDir, './helper.ts', `${katasDir}/01-bind/bind.ts`)).toBeNull()
})

test('with KATA_IMPL unset (katas/ itself) nothing is redirected', () => {
  expect(resolveId(katasDir, katasDir, './bind.ts', testFile)).toBeNull()
})

test('a missing implementation file is named in the error', () => {
  expect(() => resolveId(katasDir, '/nowhere', './bind.ts', testFile)).toThrow(
    'No implementation to test: /nowhere/01-bind/bind.ts does not exist',
  )
})
