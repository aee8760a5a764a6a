import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { describe, expect, test } from 'vitest'
import { kataFromFolder } from '../harness/katas.ts'
import { solutionsDir } from '../harness/paths.ts'
import { findKataFile, listSubmissions, parseShard, shardOf } from './submissions.ts'

const bind = kataFromFolder('01-bind')!

test('submissions are the immediate subfolders, any name, sorted; files and hidden folders are not; a link is listed, to be refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'subs-'))
  for (const name of ['zed', "Zoë O'Brien (late)", '.git', 'ana']) await mkdir(join(dir, name))
  await writeFile(join(dir, 'notes.txt'), '')
  await symlink(join(dir, 'ana'), join(dir, 'bob'))
  expect((await listSubmissions(dir)).map((s) => s.name)).toEqual(["Zoë O'Brien (late)", 'ana', 'bob', 'zed'])
  expect(await findKataFile({ name: 'bob', folder: join(dir, 'bob') }, bind)).toEqual({
    problem: 'unreadable',
    reason: 'the submission folder is a symbolic link (the grader never follows links)',
  })
})

test('a kata file is found uploaded alone, in its kata folder, or in a clone of the repository, the clone first', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sub-'))
  const submission = { name: 's', folder: dir }
  expect(await findKataFile(submission, bind)).toEqual({
    problem: 'missing',
    reason: 'missing (looked for katas/01-bind/bind.ts, 01-bind/bind.ts, bind.ts)',
  })
  await writeFile(join(dir, 'bind.ts'), 'export const bind = 3\n')
  expect(await findKataFile(submission, bind)).toEqual({ source: 'export const bind = 3\n' })
  await mkdir(join(dir, '01-bind'))
  await writeFile(join(dir, '01-bind', 'bind.ts'), 'export const bind = 2\n')
  expect(await findKataFile(submission, bind)).toEqual({ source: 'export const bind = 2\n' })
  await mkdir(join(dir, 'katas', '01-bind'), { recursive: true })
  await writeFile(join(dir, 'katas', '01-bind', 'bind.ts'), 'export const bind = 1\n')
  expect(await findKataFile(submission, bind)).toEqual({ source: 'export const bind = 1\n' })
})

test('an uploaded kata file that is a symbolic link is refused, never followed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sneaky-'))
  await symlink(join(solutionsDir, '01-bind', 'bind.ts'), join(dir, 'bind.ts'))
  expect(await findKataFile({ name: 'sneaky', folder: dir }, bind)).toEqual({
    problem: 'unreadable',
    reason: 'bind.ts is a symbolic link (the grader never follows links)',
  })
})

describe('a symbolic link at any step of the path is refused, never followed', () => {
  const classmate = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'classmate-'))
    await mkdir(join(dir, 'katas', '01-bind'), { recursive: true })
    await writeFile(join(dir, 'katas', '01-bind', 'bind.ts'), 'export const bind = "the classmate\'s"\n')
    return dir
  }
  const refused = (what: string) => ({ problem: 'unreadable', reason: `${what} is a symbolic link (the grader never follows links)` })

  test.each([
    ['the kata file, to the reference solution', async (dir: string) => {
      await mkdir(join(dir, '01-bind'))
      await symlink(join(solutionsDir, '01-bind', 'bind.ts'), join(dir, '01-bind', 'bind.ts'))
    }, '01-bind/bind.ts'],
    ['the kata folder, to the reference solutions', async (dir: string) => {
      await symlink(join(solutionsDir, '01-bind'), join(dir, '01-bind'))
    }, '01-bind'],
    ["katas/, to a classmate's", async (dir: string) => {
      await symlink(join(await classmate(), 'katas'), join(dir, 'katas'))
    }, 'katas'],
    ["katas/01-bind, relative, to a classmate's", async (dir: string) => {
      await mkdir(join(dir, 'katas'))
      await symlink(relative(join(dir, 'katas'), join(await classmate(), 'katas', '01-bind')), join(dir, 'katas', '01-bind'))
    }, 'katas/01-bind'],
  ])('%s', async (_, plant, what) => {
    const dir = await mkdtemp(join(tmpdir(), 'sneaky-'))
    await plant(dir)
    expect(await findKataFile({ name: 'sneaky', folder: dir }, bind)).toEqual(refused(what))
  })
})

test('--shard I/N takes every N-th submission, so the shards cover everyone exactly once', () => {
  const names = ['a', 'b', 'c', 'd', 'e']
  const shards = [1, 2, 3].map((index) => shardOf(names, { index, count: 3 }))
  expect(shards).toEqual([['a', 'd'], ['b', 'e'], ['c']])
  expect(parseShard('2/4')).toEqual({ index: 2, count: 4 })
  expect(() => parseShard('5/4')).toThrow('expected I/N with 1 <= I <= N')
})
