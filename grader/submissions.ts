/**
 * Finding submissions and their kata files, and staging only those files into a folder laid out
 * like katas/ for KATA_IMPL. Tests, configs, node_modules, .git and everything else a student put
 * in the folder are never looked at.
 */
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Kata } from '../harness/katas.ts'

/** A kata file larger than this is not a kata solution. */
const MAX_KATA_FILE_BYTES = 256 * 1024

export interface Submission {
  /** The folder's own name, exactly: the student's identity in every output. */
  name: string
  folder: string
}

/** Every immediate subfolder of `submissionsDir`, sorted by name so every run and shard agrees on the order. */
export async function listSubmissions(submissionsDir: string): Promise<Submission[]> {
  const entries = await readdir(submissionsDir, { withFileTypes: true })
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
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

/** The kata's file in a submission: katas/NN-slug/slug.ts (a clone of the repo) or NN-slug/slug.ts. */
export async function findKataFile(submission: Submission, kata: Kata): Promise<FoundKataFile> {
  const candidates = [
    join(submission.folder, 'katas', kata.folder, kata.implementationFile),
    join(submission.folder, kata.folder, kata.implementationFile),
  ]
  for (const path of candidates) {
    const info = await lstat(path).catch(() => undefined)
    if (!info) continue
    if (info.isSymbolicLink()) return { problem: 'unreadable', reason: `${kata.implementationFile} is a symbolic link, not a file` }
    if (!info.isFile()) return { problem: 'unreadable', reason: `${kata.implementationFile} is not a regular file` }
    if (info.size > MAX_KATA_FILE_BYTES) {
      return { problem: 'unreadable', reason: `${kata.implementationFile} is ${info.size} bytes, over the ${MAX_KATA_FILE_BYTES}-byte limit` }
    }
    return { source: await readFile(path, 'utf8') }
  }
  return { problem: 'missing', reason: `missing (looked for ${kata.folder}/${kata.implementationFile} and katas/${kata.folder}/${kata.implementationFile})` }
}

/** Writes the kata files into `stageDir`, laid out like katas/: the only student files a run can see. */
export async function stageKataFiles(stageDir: string, files: { kata: Kata; source: string }[]): Promise<void> {
  for (const { kata, source } of files) {
    await mkdir(join(stageDir, kata.folder), { recursive: true })
    await writeFile(join(stageDir, kata.folder, kata.implementationFile), source)
  }
}
