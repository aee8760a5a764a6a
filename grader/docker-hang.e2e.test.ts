/**
 * Docker isolation when a submission will not end: a class of "process spawners", whose kata 02
 * starts 200 detached processes and never settles (beside a correct kata 01). Every run must end within its wall-clock limit
 * and the runner's grace, the batch must end with every grade written, and no container may be left.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { expect, test } from 'vitest'
import { listKatas } from '../harness/katas.ts'
import { katasDir, solutionsDir } from '../harness/paths.ts'
import { DEFAULT_IMAGE } from './image.ts'
import { DockerRunner, RUN_GRACE_MS } from './docker-runner.ts'
import { containersLeftBy, dockerUnavailable, gradeQuietly } from './e2e-support.ts'
import type { KataGrade } from './grade-submission.ts'
import type { RunRequest, Runner } from './run-request.ts'

const SPAWNING_KATA = '02-port-zero'
const SPAWNER = `import net from 'node:net'
import { spawn } from 'node:child_process'

export function listenOnAnyPort(host: string): Promise<{ server: net.Server; port: number }> {
  for (let i = 0; i < 200; i++) {
    spawn(process.execPath, ['-e', 'setTimeout(() => {}, 613e3)'], { detached: true, stdio: 'ignore' }).unref()
  }
  return new Promise(() => {})
}
`
/**
 * The katas each spawner hands in: the hanging one and one correct one beside it in the shared run.
 * The rest are missing, so never run: the test's length does not grow with the course.
 */
const HANDED_IN = ['01-bind', SPAWNING_KATA]
const CLASS_SIZE = 10
/**
 * As in the incident this reproduces. With 10 s, on a 2-core host graded 4 at a time, the reference
 * run alone takes 9 of its 10 s and correct katas time out for want of CPU, hang or no hang.
 */
const TIMEOUT_SECONDS = 30
/** What a submission's grading does besides its runs (static checks, staging), at most. */
const STAGING_SLACK_MS = 5_000

/** Ten submissions, each the reference solution of kata 01, and a kata 02 that spawns and hangs. */
async function writeSpawnerClass(dir: string): Promise<string[]> {
  const names = Array.from({ length: CLASS_SIZE }, (_, i) => `spawner-${String(i + 1).padStart(2, '0')}`)
  for (const name of names) {
    for (const kata of listKatas(katasDir).filter((kata) => HANDED_IN.includes(kata.folder))) {
      const source = kata.folder === SPAWNING_KATA ? SPAWNER : await readFile(join(solutionsDir, kata.folder, kata.implementationFile), 'utf8')
      await writeAt(join(dir, name, kata.folder, kata.implementationFile), source)
    }
  }
  return names
}

interface TimedRun {
  request: RunRequest
  timedOut: boolean
  ms: number
}

/** The runner, recording how long each of its runs took. */
function timed(runner: Runner, runs: TimedRun[]): Runner {
  return {
    description: runner.description,
    close: () => runner.close(),
    run: async (request) => {
      const started = performance.now()
      const outcome = await runner.run(request)
      runs.push({ request, timedOut: outcome.timedOut, ms: performance.now() - started })
      return outcome
    },
  }
}

test('a class of process spawners: every run ends within its limit and the grace, every grade is written, no container is left', async (context) => {
  const reason = await dockerUnavailable()
  if (reason) context.skip(reason)
  const work = await mkdtemp(join(tmpdir(), 'grader-docker-hang-'))
  const names = await writeSpawnerClass(join(work, 'submissions'))
  const runner = await DockerRunner.start({ image: DEFAULT_IMAGE, testsRoot: katasDir, defaultTestsRoot: katasDir, memoryMiB: 2048 })
  const runs: TimedRun[] = []
  const started = performance.now()
  const { grades } = await gradeQuietly(work, timed(runner, runs), { timeoutSeconds: TIMEOUT_SECONDS, concurrency: 2 * availableParallelism() }).finally(() => runner.close())
  const timedOut = runs.filter((run) => run.timedOut)
  console.log(
    `${CLASS_SIZE} spawners graded in ${seconds(performance.now() - started)}: ${runs.length} runs, ${timedOut.length} timed out, ` +
      `at most ${seconds(Math.max(...runs.map((run) => run.ms - run.request.timeoutMs)))} past a limit; ` +
      `executionSeconds at most ${Math.max(...grades.map((grade) => grade.executionSeconds))} s`,
  )

  expect(timedOut.length, 'runs that reached their limit with the spawned processes inside').toBeGreaterThan(0)
  for (const run of runs) expect(run.ms, `a run of ${run.request.katas.join(' ')}`).toBeLessThanOrEqual(run.request.timeoutMs + RUN_GRACE_MS)
  // At most: a shared run, an isolated run of what it left, then each kata alone when more than one was left unfinished.
  const timeoutMs = TIMEOUT_SECONDS * 1000
  const katas = HANDED_IN.length
  const worstCaseMs = timeoutMs / 2 + RUN_GRACE_MS + (1 + katas) * (timeoutMs + RUN_GRACE_MS) + STAGING_SLACK_MS
  for (const grade of grades) expect(grade.executionSeconds, grade.submission).toBeLessThanOrEqual(worstCaseMs / 1000)

  for (const grade of grades) {
    for (const kata of grade.katas) {
      const where = `${grade.submission} › ${kata.kata}`
      if (kata.kata === SPAWNING_KATA) expectSpawnerZeroed(kata, where)
      else if (HANDED_IN.includes(kata.kata)) expect(kata.points, where).toBe(kata.maxPoints)
      else expect(kata.problem?.kind, `${where}, not handed in`).toBe('missing')
    }
  }
  const rows = (await readFile(join(work, 'out', 'grades.csv'), 'utf8')).trim().split('\r\n').slice(1)
  expect(rows.map((row) => row.split(',')[0]), 'one row per submission in grades.csv').toEqual(names)

  expect(await containersLeftBy(runner), 'containers left behind').toEqual([])
})

test("a file whose path is over 100 bytes long is copied in intact, and is root's alone", async (context) => {
  const reason = await dockerUnavailable()
  if (reason) context.skip(reason)
  const work = await mkdtemp(join(tmpdir(), 'grader-docker-deep-'))
  const deepFile = join('01-bind', ...[1, 2, 3].map((n) => `a-folder-with-a-name-long-enough-to-count-${n}`), 'deep.txt')
  expect(Buffer.byteLength(join('submission', deepFile)), 'its path in the archive').toBeGreaterThan(100)
  await writeAt(join(work, 'submission', deepFile), 'arrived')
  await writeAt(
    join(work, 'tests', '01-bind', 'bind.test.ts'),
    `import { readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { expect, test } from 'vitest'

test('the deep file', () => {
  const path = join(process.env.KATA_IMPL!, ${JSON.stringify(deepFile)})
  expect(readFileSync(path, 'utf8')).toBe('arrived')
  const owner = (path: string) => ({ uid: statSync(path).uid, mode: statSync(path).mode & 0o777 })
  expect([owner(path), owner(dirname(path))]).toEqual([{ uid: 0, mode: 0o600 }, { uid: 0, mode: 0o700 }])
})
`,
  )
  const runner = await DockerRunner.start({ image: DEFAULT_IMAGE, testsRoot: join(work, 'tests'), defaultTestsRoot: katasDir, memoryMiB: 512 })
  const outcome = await runner.run({ implementationDir: join(work, 'submission'), katas: ['01-bind'], timeoutMs: 30_000 }).finally(() => runner.close())
  expect(outcome.record.katas.get('01-bind')?.tests.get('the deep file'), outcome.outputTail).toEqual({ state: 'passed', title: 'the deep file' })
})

/**
 * Kata 02 gets nothing, one of two ways: its run reached the limit, or its tests failed one by one,
 * on the call that never settled or on the spawn that the process limit refused (EAGAIN).
 */
function expectSpawnerZeroed(kata: KataGrade, where: string): void {
  expect(kata.points, where).toBe(0)
  if (kata.problem) {
    expect(kata.problem, where).toEqual({ kind: 'timed-out', reason: expect.stringMatching(`^timed out: no result within ${TIMEOUT_SECONDS} s`) })
    return
  }
  const failures = /^(listenOnAnyPort\('[^']+'\) never settled within 2 s|listenOnAnyPort\(\) never returned|EAGAIN \(spawn \S+ EAGAIN\) went unhandled)/
  for (const test of kata.tests) expect(test.output, `${where} › ${test.name}`).toMatch(failures)
}

async function writeAt(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, text)
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}
