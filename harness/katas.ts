import { existsSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'

/** One kata: its folder `NN-slug`, the learner's file `slug.ts` and the tests `slug.test.ts`. */
export interface Kata {
  /** "03" */
  number: string
  /** "backlog" */
  slug: string
  /** "03-backlog" */
  folder: string
  /** "backlog.ts" */
  implementationFile: string
  /** "backlog.test.ts" */
  testFile: string
}

const KATA_FOLDER = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$/

export function kataFromFolder(folder: string): Kata | undefined {
  const match = KATA_FOLDER.exec(folder)
  if (!match) return undefined
  const [, number, slug] = match as unknown as [string, string, string]
  return { number, slug, folder, implementationFile: `${slug}.ts`, testFile: `${slug}.test.ts` }
}

/** The katas whose tests live under `testsDir`, in order. */
export function listKatas(testsDir: string): Kata[] {
  return readdirSync(testsDir)
    .sort()
    .map(kataFromFolder)
    .filter((kata): kata is Kata => kata !== undefined && existsSync(join(testsDir, kata.folder, kata.testFile)))
}

/** The kata a test file belongs to, from its path (`.../03-backlog/backlog.test.ts`). */
export function kataOfTestFile(path: string): Kata | undefined {
  const kata = kataFromFolder(basename(join(path, '..')))
  return kata && basename(path) === kata.testFile ? kata : undefined
}
