import { existsSync, statSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const katasDir = resolve(projectRoot, 'katas')
export const solutionsDir = resolve(projectRoot, 'solutions')
/** The stubs as shipped, laid out like katas/: what `npm run reset` puts back, and what verify proves the tests against. */
export const stubsDir = resolve(projectRoot, 'harness', 'stubs')

/**
 * Where the learner typed the command: npm runs scripts from the project root and keeps the original
 * directory in INIT_CWD. Paths are read from there and shown relative to it.
 */
export function typedFrom(): string {
  return process.env.INIT_CWD ?? process.cwd()
}

/** A folder named in an environment variable, resolved against the directory the command was typed in. */
export function folderFromEnv(variable: string, fallback: string): string {
  const value = process.env[variable]
  if (!value) return fallback
  const folder = isAbsolute(value) ? value : resolve(typedFrom(), value)
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new Error(`${variable}=${value}: there is no folder ${folder}`)
  }
  return folder
}

/** KATA_IMPL: whose code the tests run against (a folder laid out like katas/). */
export function implementationRoot(): string {
  return folderFromEnv('KATA_IMPL', katasDir)
}

/** KATA_TESTS: where the kata tests come from (the grader's --tests); katas/ unless set. */
export function testsRoot(): string {
  return folderFromEnv('KATA_TESTS', katasDir)
}
