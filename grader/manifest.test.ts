import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { readPointsManifest, splitPoints, sumPoints } from './manifest.ts'

test('splitPoints shares points in hundredths that always add up to the whole', () => {
  expect(splitPoints(10, 3)).toEqual([3.34, 3.33, 3.33])
  expect(splitPoints(10, 7)).toEqual([1.43, 1.43, 1.43, 1.43, 1.43, 1.43, 1.42])
  for (const [points, tests] of [[10, 3], [15, 7], [7.5, 6], [1, 39]] as const) {
    expect(sumPoints(splitPoints(points, tests))).toBe(points)
  }
})

test('sumPoints adds hundredths without floating-point drift', () => {
  expect(sumPoints([0.1, 0.2])).toBe(0.3)
  expect(sumPoints(Array(7).fill(1.43))).toBe(10.01)
})

test('the manifest gives points per kata; a missing manifest gives none (10 each by default)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'manifest-'))
  expect(await readPointsManifest(dir)).toEqual(new Map())
  await writeFile(join(dir, 'grading.json'), '{ "points": { "03-backlog": 15 } }')
  expect(await readPointsManifest(dir)).toEqual(new Map([['03-backlog', 15]]))
  await writeFile(join(dir, 'grading.json'), '{ "points": { "03-backlog": "lots" } }')
  await expect(readPointsManifest(dir)).rejects.toThrow('points for 03-backlog must be a number >= 0')
})
