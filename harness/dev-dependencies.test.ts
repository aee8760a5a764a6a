import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { missingDevDependencies } from './dev-dependencies.ts'

let root: string | undefined
afterEach(() => root && rm(root, { recursive: true, force: true }))

async function installed(name: string, version: string): Promise<void> {
  await mkdir(join(root!, 'node_modules', name), { recursive: true })
  await writeFile(join(root!, 'node_modules', name, 'package.json'), JSON.stringify({ name, version }))
}

test('a devDependency is missing when it is not installed, or not at the version package.json pins', async () => {
  root = await mkdtemp(join(tmpdir(), 'dev-dependencies-'))
  const devDependencies = { 'tar-stream': '3.2.2', '@stryker-mutator/core': '10.1.1', testcontainers: '11.9.0' }
  await writeFile(join(root, 'package.json'), JSON.stringify({ dependencies: { vitest: '4.1.12' }, devDependencies }))
  await installed('tar-stream', '3.2.2')
  await installed('@stryker-mutator/core', '10.0.0')
  expect(missingDevDependencies(root)).toEqual(['@stryker-mutator/core', 'testcontainers'])
  await installed('@stryker-mutator/core', '10.1.1')
  await installed('testcontainers', '11.9.0')
  expect(missingDevDependencies(root)).toEqual([])
})
