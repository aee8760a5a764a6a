/**
 * The KATA_IMPL switch, as a Vite plugin: a kata test imports `./slug.ts` from its own folder, and
 * this sends that import to the same file under the implementation root instead. Learner tools,
 * self-verification and the grader all choose whose code runs through this one mechanism.
 */
import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import type { Plugin } from 'vite'

export function kataImplementation(testsRoot: string, implementationRoot: string): Plugin {
  return {
    name: 'socket-katas:kata-implementation',
    enforce: 'pre',
    resolveId(source, importer) {
      if (implementationRoot === testsRoot || !importer || !source.startsWith('.')) return null
      if (!importer.endsWith('.test.ts') || !isInside(testsRoot, importer)) return null
      const requested = resolve(dirname(importer), source)
      if (!isInside(testsRoot, requested) || requested.endsWith('.test.ts')) return null
      const target = join(implementationRoot, relative(testsRoot, requested))
      if (!existsSync(target)) {
        throw new Error(`No implementation to test: ${target} does not exist (KATA_IMPL=${implementationRoot})`)
      }
      return target
    },
  }
}

function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)
}
