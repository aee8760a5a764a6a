/**
 * npm run grade:gradescope -- --out autograder.zip [--tests DIR] [--timeout SECONDS]
 *
 * Writes Gradescope's autograder zip (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
 * setup.sh and run_autograder at its root (scripts.ts), the project files grading needs as git
 * tracks them, and an instructor's --tests folder as tests/. The same inputs give the same bytes.
 */
import { execFileSync } from 'node:child_process'
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { zipSync, type Zippable } from 'fflate'
import { listKatas } from '../../../harness/katas.ts'
import { projectRoot, typedFrom } from '../../../harness/paths.ts'
import { green } from '../../../harness/reporting/colors.ts'
import { DEFAULT_KATA_POINTS, readPointsManifest, sumPoints } from '../../manifest.ts'
import { PLATFORM_DEFAULTS } from '../grade-one.ts'
import { cachedTarball, GRADESCOPE_NODE, GRADESCOPE_NPM, sha512Of, type PinnedPackage } from './pinned-packages.ts'
import { runAutograderScript, setupScript, type Pinned } from './scripts.ts'

/** What grading reads of the project (tracked files under these), beside the kata tests. */
const GRADING_ENTRIES = ['package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'vitest.config.ts', 'harness/', 'katas/', 'solutions/', 'grader/', 'tools/node-binary.ts']
/** Where an instructor's --tests folder goes in the zip. */
export const TESTS_IN_ZIP = 'tests'
/** Every entry's time: a fixed one, so that two builds of the same files are the same bytes (zip times are local, without a zone). */
const ENTRY_TIME = new Date(2000, 0, 1)
const UNIX = 3
const REGULAR_FILE = 0o100000

export interface BuildOptions {
  out: string
  testsDir?: string
  timeoutSeconds: number
}

export interface Built {
  files: number
  /** The katas' points together: the assignment's total on Gradescope. */
  totalPoints: number
}

export async function buildAutograderZip(options: BuildOptions): Promise<Built> {
  const entryArgs = [...(options.testsDir ? ['--tests', TESTS_IN_ZIP] : []), '--timeout', String(options.timeoutSeconds)]
  const [node, npm] = await Promise.all([pinned(GRADESCOPE_NODE), pinned(GRADESCOPE_NPM)])
  const files = new Map<string, { data: Uint8Array; mode: number }>()
  files.set('setup.sh', { data: text(setupScript(node, npm, entryArgs)), mode: 0o755 })
  files.set('run_autograder', { data: text(runAutograderScript(entryArgs)), mode: 0o755 })
  for (const path of trackedGradingFiles()) files.set(path, { data: await readFile(join(projectRoot, path)), mode: 0o644 })
  if (options.testsDir) {
    for (const path of await testFiles(options.testsDir)) {
      files.set(`${TESTS_IN_ZIP}/${path}`, { data: await readFile(join(options.testsDir, path)), mode: 0o644 })
    }
  }
  const zippable: Zippable = {}
  for (const path of [...files.keys()].sort()) {
    const { data, mode } = files.get(path)!
    zippable[path] = [data, { os: UNIX, attrs: (REGULAR_FILE | mode) << 16, mtime: ENTRY_TIME }]
  }
  await writeFile(options.out, zipSync(zippable, { level: 9 }))
  return { files: files.size, totalPoints: await totalPoints(options.testsDir ?? join(projectRoot, 'katas')) }
}

async function pinned(pkg: PinnedPackage): Promise<Pinned> {
  return { ...pkg, ...(await sha512Of(await cachedTarball(pkg))) }
}

function trackedGradingFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: projectRoot, encoding: 'utf8' }).split('\0').filter(Boolean)
  return tracked.filter((path) => GRADING_ENTRIES.some((entry) => (entry.endsWith('/') ? path.startsWith(entry) : path === entry)))
}

/** The tests folder's files, relative to it. A link could reach anything on the instructor's machine: refused, never followed. */
async function testFiles(dir: string): Promise<string[]> {
  if (listKatas(dir).length === 0) throw new Error(`--tests ${dir}: no kata tests in it (it is laid out like katas/: NN-slug/slug.test.ts)`)
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const files: string[] = []
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name)
    if (entry.isSymbolicLink()) throw new Error(`--tests: ${path} is a symbolic link; copy what it points to instead`)
    if ((await lstat(path)).isFile()) files.push(relative(dir, path))
  }
  return files
}

async function totalPoints(testsRoot: string): Promise<number> {
  const points = await readPointsManifest(testsRoot)
  return sumPoints(listKatas(testsRoot).map((kata) => points.get(kata.folder) ?? DEFAULT_KATA_POINTS))
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, tests: { type: 'string' }, timeout: { type: 'string', default: String(PLATFORM_DEFAULTS.timeoutSeconds) } },
  })
  const timeoutSeconds = Number(values.timeout)
  if (!values.out || !(Number.isInteger(timeoutSeconds) && timeoutSeconds > 0)) {
    console.error('usage: npm run grade:gradescope -- --out autograder.zip [--tests DIR] [--timeout SECONDS]')
    process.exit(2)
  }
  const out = resolve(typedFrom(), values.out)
  const built = await buildAutograderZip({ out, testsDir: values.tests && resolve(typedFrom(), values.tests), timeoutSeconds })
  console.log(green(`Wrote ${values.out}: ${built.files} files.`))
  console.log(`On Gradescope: a programming assignment worth ${built.totalPoints} points; upload this zip with the Ubuntu 22.04 base image.`)
}
