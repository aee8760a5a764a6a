/**
 * Kata tests never import the learner's kata file (it runs in a kata process), so Vitest's watch mode
 * cannot see that a test depends on it. This rule tells it: a saved file in a kata folder of the
 * implementation root re-runs that kata's tests.
 */
import { join, sep } from 'node:path'
import type { WatcherTriggerPattern } from 'vitest/node'
import { kataFromFolder } from '../katas.ts'

export function learnerFileTrigger(implementationRoot: string, testsRoot: string): WatcherTriggerPattern {
  const root = implementationRoot.split(sep).map(escapeRegExp).join('[\\\\/]')
  return {
    pattern: new RegExp(`^${root}[\\\\/](\\d{2}-[a-z0-9-]+)[\\\\/][^\\\\/]+\\.(ts|js|mjs)$`),
    testsToRun: (_file, match) => {
      const kata = kataFromFolder(match[1]!)
      return kata ? join(testsRoot, kata.folder, kata.testFile) : undefined
    },
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
