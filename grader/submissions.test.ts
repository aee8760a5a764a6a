import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { kataFromFolder } from '../harness/katas.ts'
import { solutionsDir } from '../harness/paths.ts'
import { findKataFile, listSubmissions, parseShard, shardOf } from './submissions.ts'

const bind = kataFromFolder('01-bind')!

test('submissions are the immediate subfolders, any name, sorted; files and hidden folders are not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'subs-'))
  for (const name of ['zed', "Zoë O'Brien (late)", '.git', 'ana']) await mkdir(join(dir, name))
  await writeFile(join(dir, 'notes.txt'), '')
  expect((await listSubmissions(dir)).map((s) => s.name)).toEqual(["Zoë O'Brien (late)", 'ana', 'zed'])
})

test('a kata file is found flat or in a clone of the repository; a symlink to anything is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sub-'))
  const submission = { name: 's', folder: dir }
  expect(await findKataFile(submission, bind)).toMatchObject({ problem: 'missing' })
  await mkdir(join(dir, 'katas', '01-bind'), { recursive: true })
  await writeFile(join(dir, 'katas', '01-bind', 'bind.ts'), 'export const bind = 1\n')
  expect(await findKataFile(submission, bind)).toEqual({ source: 'export const bind = 1\n' })

  const sneaky = await mkdtemp(join(tmpdir(), 'sub-'))
  await mkdir(join(sneaky, '01-bind'))
  await symlink(join(solutionsDir, '01-bind', 'bind.ts'), join(sneaky, '01-bind', 'bind.ts'))
  expect(await findKataFile({ name: 'sneaky', folder: sneaky }, bind)).toEqual({
    problem: 'unreadable',
    reason: 'bind.ts is a symbolic link, not a file',
  })
})

test('--shard I/N takes every N-th submission, so the shards cover everyone exactly once', () => {
  const names = ['a', 'b', 'c', 'd', 'e']
  const shards = [1, 2, 3].map((index) => shardOf(names, { index, count: 3 }))
  expect(shards).toEqual([['a', 'd'], ['b', 'e'], ['c']])
  expect(parseShard('2/4')).toEqual({ index: 2, count: 4 })
  expect(() => parseShard('5/4')).toThrow('expected I/N with 1 <= I <= N')
})
