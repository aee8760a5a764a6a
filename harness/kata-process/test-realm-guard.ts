/**
 * The learner's code never runs in the test process: a kata test reaches it through kataUnderTest(),
 * in a kata process of its own. This Vite plugin refuses the one way it could slip in, a kata test
 * importing a file of its kata folder at run time (`import { bind } from './bind.ts'`, as tests did
 * before the kata process; an instructor's --tests folder may still hold such tests). Type-only
 * imports (`typeof import('./bind.ts')`) are erased before anything is resolved, and stay allowed.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path'
import type { Plugin } from 'vite'

export function testRealmGuard(testsRoot: string): Plugin {
  return {
    name: 'socket-katas:test-realm-guard',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.') || !importer.endsWith('.test.ts') || !isInside(testsRoot, importer)) return null
      const requested = resolve(dirname(importer), source)
      if (!isInside(testsRoot, requested) || requested.endsWith('.test.ts') || dirname(requested) !== dirname(importer)) return null
      throw new Error(
        `${relative(testsRoot, importer)} imports ${source} at run time, which would run the learner's code inside the test process. ` +
          `Call it through the kata process instead: const kata = await kataUnderTest<typeof import('${source}')>(import.meta.url)`,
      )
    },
  }
}

function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)
}
