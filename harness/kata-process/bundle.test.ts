import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { bundle } from './bundle.ts'

test('a syntax error is summed up in one line that says what failed and where, and framed through the marked spot', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'bundle-')), 'accept.ts')
  writeFileSync(file, 'export function f() {\n  resolve( x y)\n}\n')
  const result = await bundle(file)
  if (!('error' in result)) throw new Error('a syntax error compiled')
  expect(result.summary).toBe('Expected ")" but found "y" (line 2)')
  expect(result.error.split('\n')).toEqual([expect.stringMatching(/accept\.ts:2:14: Expected "\)" but found "y"$/), '      resolve( x y)', '                 ^'])
})
