import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { tarFolder } from './tar.ts'

test('tarFolder writes an archive that tar itself lists and extracts, byte for byte', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'tar-test-'))
  await mkdir(join(folder, '01-bind'))
  await writeFile(join(folder, '01-bind', 'bind.ts'), 'export const x = "é"\n')
  await writeFile(join(folder, 'exactly-512.txt'), 'y'.repeat(512))
  const archive = join(folder, '..', `${folder.split('/').pop()}.tar`)
  await writeFile(archive, await tarFolder(folder))
  expect(execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n')).toEqual([
    '01-bind/',
    '01-bind/bind.ts',
    'exactly-512.txt',
  ])
  expect(execFileSync('tar', ['-xOf', archive, '01-bind/bind.ts'], { encoding: 'utf8' })).toBe('export const x = "é"\n')
  expect(execFileSync('tar', ['-xOf', archive, 'exactly-512.txt'], { encoding: 'utf8' })).toBe('y'.repeat(512))
})
