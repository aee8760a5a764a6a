import { execFileSync, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import { listKatas } from '../harness/katas.ts'
import { katasDir, projectRoot } from '../harness/paths.ts'
import { expectOutputsToMatch } from './e2e-expectations.ts'
import { writeFixtureSubmissions, writeSolutionCopies } from './fixture-submissions.ts'
import { gradeAll, type GradeOptions } from './grade.ts'
import { DEFAULT_KATA_POINTS, readPointsManifest, sumPoints } from './manifest.ts'
import { mergeRuns } from './merge.ts'
import { ProcessRunner } from './process-runner.ts'

const quiet = { write: () => true }
let work: string
let runner: ProcessRunner
/** Why this host cannot isolate process runs (so the hostile fixtures cannot be graded here), or undefined. */
let cannotIsolate: string | undefined

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'grader-e2e-'))
  await writeFixtureSubmissions(join(work, 'submissions'))
  const opened = await ProcessRunner.open({ testsRoot: katasDir, memoryMiB: 2048 }).catch((error: Error) => error)
  if (opened instanceof Error) cannotIsolate = opened.message
  else runner = opened
})

afterAll(() => runner?.close())

beforeEach((context) => {
  if (cannotIsolate) context.skip(cannotIsolate)
})

function options(submissionsDir: string, outDir: string, shard?: GradeOptions['shard']): GradeOptions {
  return { submissionsDir, outDir, shard, runner, testsRoot: katasDir, timeoutSeconds: 30, memoryMiB: 2048, concurrency: 3, progressStream: quiet }
}

test('every fixture submission gets exactly the points it earned, with the reason, in every output format', async () => {
  const shardDirs = [join(work, 'shard-1'), join(work, 'shard-2')]
  const [first] = await Promise.all(
    shardDirs.map((dir, i) => gradeAll({ ...options(join(work, 'submissions'), dir, { index: i + 1, count: 2 }), concurrency: 2 })),
  )
  await mergeRuns(shardDirs, join(work, 'merged'))
  await expectOutputsToMatch(join(work, 'merged'), first!.calibration)
})

test('no process a submission started outlives its run, however it detached', () => {
  const survivors = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes('613e3'))
  expect(survivors).toEqual([])
})

test('merging the shards of a run writes the very files a single run writes', async () => {
  const some = ['all-correct', 'empty', 'partial', "Zoë O'Brien (late), #2"]
  const submissions = join(work, 'some')
  await writeFixtureSubmissions(submissions, some)
  await gradeAll(options(submissions, join(work, 'single')))
  const shardDirs = [1, 2].map((index) => join(work, `some-shard-${index}`))
  await Promise.all(shardDirs.map((dir, i) => gradeAll(options(submissions, dir, { index: i + 1, count: 2 }))))
  await mergeRuns(shardDirs, join(work, 'some-merged'))
  expect(await filesOf(join(work, 'some-merged'))).toEqual(await filesOf(join(work, 'single')))
})

test('a grader killed midway leaves valid outputs for everyone it graded so far', async () => {
  const submissions = join(work, 'killed-midway')
  await writeSolutionCopies(submissions, 4)
  const out = join(work, 'killed-midway-out')
  const tsx = join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs')
  const grader = spawn(process.execPath, [tsx, 'grader/cli.ts', submissions, '--out', out, '--concurrency', '1'], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] })
  let progress = ''
  await new Promise<void>((resolve) => {
    grader.stderr.on('data', (chunk) => {
      progress += chunk
      if (progress.includes('graded 2/4')) resolve()
    })
    grader.once('close', () => resolve())
  })
  grader.kill('SIGKILL')
  expect(progress, 'the grader graded two submissions before it was killed').toContain('graded 2/4')
  const csv = await readFile(join(out, 'grades.csv'), 'utf8')
  expect(csv.trim().split('\r\n').map((row) => row.split(',').slice(0, 1).concat(row.split(',').slice(-2, -1)))).toEqual([
    ['submission', 'total'],
    ['student-001', String(await fullMarks())],
    ['student-002', String(await fullMarks())],
  ])
  const run = JSON.parse(await readFile(join(out, 'grading-run.json'), 'utf8')) as { submissions: string[] }
  expect(run.submissions).toEqual(['student-001', 'student-002'])
})

/** What a submission that passes every kata scores (katas/grading.json, and the default for a kata it leaves out). */
async function fullMarks(): Promise<number> {
  const points = await readPointsManifest(katasDir)
  return sumPoints(listKatas(katasDir).map((kata) => points.get(kata.folder) ?? DEFAULT_KATA_POINTS))
}

/** Every file of an output folder, with the measured times (which differ run to run) blanked. */
async function filesOf(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    files[path.slice(dir.length + 1)] = (await readFile(path, 'utf8'))
      .replace(/"(execution_time|executionSeconds)": [\d.]+/g, '"$1": 0')
      .replace(/ time="[\d.]+"/g, ' time="0"')
      .replace(/\b[1-9]\d{3,4}\b/g, '<port>') // ports in failure messages: the OS picks new ones each run
  }
  return files
}
