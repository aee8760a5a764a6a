import { afterEach, expect, test, vi } from 'vitest'
import { folderFromEnv, katasDir, projectRoot } from './paths.ts'

afterEach(() => vi.unstubAllEnvs())

test('unset, the fallback folder is used', () => {
  vi.stubEnv('KATA_X', '')
  expect(folderFromEnv('KATA_X', katasDir)).toBe(katasDir)
})

test('a relative folder is read from where the command was typed (INIT_CWD), not from where npm runs it', () => {
  vi.stubEnv('INIT_CWD', katasDir)
  vi.stubEnv('KATA_X', '../solutions')
  expect(folderFromEnv('KATA_X', katasDir)).toBe(`${projectRoot}/solutions`)
})

test('a folder that does not exist is an error that names it', () => {
  vi.stubEnv('KATA_X', '/no/such/folder')
  expect(() => folderFromEnv('KATA_X', katasDir)).toThrow('KATA_X=/no/such/folder: there is no folder /no/such/folder')
})
