/**
 * Finding submissions and their kata files, and staging only those files into a folder laid out
 * like katas/ for KATA_IMPL. Tests, configs, node_modules, .git and everything else a student put
 * in the folder are never looked at.
 */
import { constants } from 'node:fs'
import { lstat, mkdir, open, readdir, realpath, writeFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import type { Kata } from '../harness/katas.ts'

/** A kata file larger than this is not a kata solution. */
const MAX_KATA_FILE_BYTES = 256 * 1024

export interface Submission {
  /** The folder's own name, exactly: the student's identity in every output. */
  name: string
  folder: string
}

/**
 * Every immediate subfolder of `submissionsDir`, sorted by name so every run and shard agrees on the
 * order. A symbolic link there is a submission too, graded 0 with the reason: its target is never read.
 */
export async function listSubmissions(submissionsDir: string): Promise<Submission[]> {
  const entries = await readdir(submissionsDir, { withFileTypes: true })
  return entries
    .filter((entry) => (entry.isDirectory() || entry.isSymbolicLink()) && !entry.name.startsWith('.'))
    .map((entry) => ({ name: entry.name, folder: join(submissionsDir, entry.name) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** `--shard I/N`: the submissions whose position in the sorted list is I-1 modulo N. */
export function shardOf<T>(items: T[], shard: { index: number; count: number } | undefined): T[] {
  if (!shard) return items
  return items.filter((_, position) => position % shard.count === shard.index - 1)
}

export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text)
  const index = Number(match?.[1])
  const count = Number(match?.[2])
  if (!match || count < 1 || index < 1 || index > count) throw new Error(`--shard ${text}: expected I/N with 1 <= I <= N, like 2/4`)
  return { index, count }
}

export type FoundKataFile = { source: string } | { problem: 'missing' | 'unreadable'; reason: string }
type Refusal = { problem: 'unreadable'; reason: string }

/**
 * The kata's file in a submission: katas/NN-slug/slug.ts (a clone of the repo) or NN-slug/slug.ts.
 * No symbolic link is followed, at any step of the path, and the file read is proven to lie inside
 * the submission folder: a link to solutions/ or to a classmate's folder is refused with the reason.
 */
export async function findKataFile(submission: Submission, kata: Kata): Promise<FoundKataFile> {
  // A clone of the repository, the kata folders alone, or the kata files uploaded on their own (a
  // platform's upload form): each kata's file name is unique, so a file at the top is that kata's.
  const candidates = [['katas', kata.folder, kata.implementationFile], [kata.folder, kata.implementationFile], [kata.implementationFile]]
  for (const steps of candidates) {
    const found = await walk(submission.folder, steps)
    if (found === 'absent') continue
    if ('problem' in found) return found
    return readInside(submission.folder, found.path)
  }
  const where = candidates.map((steps) => steps.join('/'))
  return { problem: 'missing', reason: `missing (looked for ${where.join(', ')})` }
}

/** Follows `steps` down from `folder` with lstat, refusing the first symbolic link (the submission folder itself included). */
async function walk(folder: string, steps: string[]): Promise<{ path: string } | Refusal | 'absent'> {
  let path = folder
  for (const [i, step] of ['', ...steps].entries()) {
    path = step ? join(path, step) : path
    const info = await lstat(path).catch(() => undefined)
    if (!info) return 'absent'
    const shown = steps.slice(0, i).join('/') || 'the submission folder'
    if (info.isSymbolicLink()) return { problem: 'unreadable' as const, reason: `${shown} is a symbolic link (the grader never follows links)` }
    const last = i === steps.length
    if (!last && !info.isDirectory()) return 'absent'
    if (last && !info.isFile()) return { problem: 'unreadable' as const, reason: `${shown} is not a regular file` }
  }
  return { path }
}

/** Reads the file without following a link (O_NOFOLLOW), once its real path is shown to be inside the submission. */
async function readInside(folder: string, path: string): Promise<FoundKataFile> {
  const [root, real] = await Promise.all([realpath(folder), realpath(path)])
  const name = relative(folder, path)
  if (!real.startsWith(`${root}${sep}`)) return { problem: 'unreadable', reason: `${name} resolves outside the submission folder (${real})` }
  const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined)
  if (!file) return { problem: 'unreadable', reason: `${name} could not be opened as a regular file` }
  try {
    const info = await file.stat()
    if (!info.isFile()) return { problem: 'unreadable', reason: `${name} is not a regular file` }
    if (info.size > MAX_KATA_FILE_BYTES) return { problem: 'unreadable', reason: `${name} is ${info.size} bytes, over the ${MAX_KATA_FILE_BYTES}-byte limit` }
    return { source: await file.readFile('utf8') }
  } finally {
    await file.close()
  }
}

/** Writes the kata files into `stageDir`, laid out like katas/: the only student files a run can see. */
export async function stageKataFiles(stageDir: string, files: { kata: Kata; source: string }[]): Promise<void> {
  for (const { kata, source } of files) {
    await mkdir(join(stageDir, kata.folder), { recursive: true })
    await writeFile(join(stageDir, kata.folder, kata.implementationFile), source)
  }
}
