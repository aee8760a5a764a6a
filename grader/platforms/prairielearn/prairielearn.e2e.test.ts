/**
 * The PrairieLearn image, run as PrairieLearn runs it: `npm run grade:prairielearn-image` builds it and
 * writes the course snippet; each job is a /grade folder laid out as PrairieLearn mounts it (student/
 * with the uploaded file under its own name, the question's tests/ as the snippet wrote it (the
 * kata's reference solution in it), data/data.json, serverFilesCourse/), and the
 * container gets what apps/grader-host/src/index.ts gives it (runJob: the question's entrypoint as
 * argv, Tty, networking disabled, 2 GiB without swap, 0.9 of a core, 1024 processes, no core dumps,
 * the image's own user), stopped at the question's timeout and removed. results.json is then checked
 * field by field against docs/externalGrading.md ("Grading results"). A fourth upload reaches for the
 * reference solutions, and a check of the image proves it holds none (it is public, on Docker Hub).
 */
import { execFile } from 'node:child_process'
import { appendFile, chmod, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { kataFromFolder } from '../../../harness/katas.ts'
import { katasDir, projectRoot } from '../../../harness/paths.ts'
import { writeFixtureSubmissions } from '../../fixture-submissions.ts'
import { GRADER_DIR, NODE_IN_IMAGE } from '../../image.ts'
import { sumPoints } from '../../manifest.ts'
import { QUESTIONS_FOLDER, REFERENCE_FOLDER } from './course-snippet.ts'
import { RESULTS_BUDGET_BYTES } from './results.ts'

const run = promisify(execFile)
const IMAGE = 'socket-katas-prairielearn-e2e'
const BUILD_MS = 240_000
/** PrairieLearn kills the container at the question's timeout; the engine's own calls get this much more. */
const ENGINE_GRACE_MS = 30_000

let work = ''
let unavailable: string | undefined

beforeAll(async () => {
  unavailable = await dockerEngineMissing()
  if (unavailable) return
  work = await mkdtemp(join(tmpdir(), 'prairielearn-e2e-'))
  await writeFixtureSubmissions(join(work, 'fixtures'), ['all-correct', 'partial', 'syntax-error'])
  await writeFixtureSubmissions(join(work, 'fixtures'), ['copies-the-reference'], { project: GRADER_DIR, submissions: '/grade', outputs: '/grade' })
  await run('npm', ['run', 'grade:prairielearn-image', '--', '--image', IMAGE, '--course-snippet', join(work, 'snippet')], {
    cwd: projectRoot,
    timeout: BUILD_MS,
  })
}, BUILD_MS + 60_000)

afterAll(async () => {
  if (unavailable) return
  await run('docker', ['image', 'rm', '--force', IMAGE], { timeout: ENGINE_GRACE_MS }).catch(() => {})
  await rm(work, { recursive: true, force: true })
})

test('the course snippet has one externally graded question per kata, with its upload field and points', async (context) => {
  if (unavailable) context.skip(unavailable)
  const info = await questionInfo('01-bind')
  expect(info).toMatchObject({ type: 'v3', gradingMethod: 'External', singleVariant: true, title: 'Kata 01 · bind: one address, one port' })
  expect(info.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  expect(info.externalGradingOptions.image).toBe(IMAGE)
  expect(info.externalGradingOptions.timeout).toBeLessThanOrEqual(600)
  expect(info.externalGradingOptions.entrypoint).toContain('01-bind')
  const html = await readFile(join(questionFolder('01-bind'), 'question.html'), 'utf8')
  expect(html).toContain('<pl-file-upload file-names="bind.ts"></pl-file-upload>')
  expect(html).toContain('<pl-external-grader-results></pl-external-grader-results>')
  const zone = JSON.parse(await readFile(join(work, 'snippet', 'assessment-zone.json'), 'utf8')) as { questions: { id: string; autoPoints: number }[] }
  expect(zone.questions).toHaveLength(17)
  expect(zone.questions[0]).toEqual({ id: `${QUESTIONS_FOLDER}/01-bind`, autoPoints: 10 })
  const reference = join(questionFolder('01-bind'), 'tests', REFERENCE_FOLDER, '01-bind', 'bind.ts')
  expect(await readFile(reference, 'utf8'), "the question's own reference solution").toBe(await readFile(join(projectRoot, 'solutions', '01-bind', 'bind.ts'), 'utf8'))
})

test('the image, public on Docker Hub, holds no reference solution', async (context) => {
  if (unavailable) context.skip(unavailable)
  const look = "const fs = require('fs'); console.log(JSON.stringify(['/grader/solutions', '/solutions'].filter((path) => fs.existsSync(path))))"
  const { stdout } = await run('docker', ['run', '--rm', '--network', 'none', '--entrypoint', NODE_IN_IMAGE, IMAGE, '-e', look], { timeout: ENGINE_GRACE_MS })
  expect(JSON.parse(stdout)).toEqual([])
})

test('a correct upload scores 1, every test with all its points', async (context) => {
  if (unavailable) context.skip(unavailable)
  const results = await gradeAsPrairieLearn('01-bind', join(work, 'fixtures', 'all-correct'))
  expectWellFormed(results)
  expect(results.score).toBe(1)
  expect(results.tests.length).toBeGreaterThan(0)
  for (const test of results.tests) expect(test, test.name).toMatchObject({ points: test.max_points, message: 'passed' })
})

test("a wrong upload scores its share; each failing test carries the test's feedback; the question's tests/ folder is the tests", async (context) => {
  if (unavailable) context.skip(unavailable)
  const results = await gradeAsPrairieLearn('02-port-zero', join(work, 'fixtures', 'partial'), { instructorTest: true })
  expectWellFormed(results)
  const failing = results.tests.filter((test) => test.points === 0)
  expect(failing.map((test) => test.name).sort()).toEqual(results.tests.filter((test) => /the OS chose the port|leaves no 'error' listener/.test(test.name)).map((test) => test.name).sort())
  expect(failing).toHaveLength(2)
  for (const test of failing) {
    expect(test.message).toBe('failed')
    expect(test.output.length, `${test.name}: the test's own feedback`).toBeGreaterThan(40)
  }
  expect(results.score).toBeGreaterThan(0)
  expect(results.score).toBeLessThan(1)
  expect(results.tests.map((test) => test.name)).toContain(INSTRUCTOR_TEST)
})

test('an upload that does not compile is gradable, scores 0, and says why', async (context) => {
  if (unavailable) context.skip(unavailable)
  const results = await gradeAsPrairieLearn('01-bind', join(work, 'fixtures', 'syntax-error'))
  expectWellFormed(results)
  expect(results.score).toBe(0)
  expect(results.message).toContain("does not compile: bind.ts:2:49 ',' expected.")
  for (const test of results.tests) expect(test.output).toContain('does not compile')
})

test("an upload that reaches for the reference solutions (the question's tests/, the project's solutions/) reaches nothing, and scores 0", async (context) => {
  if (unavailable) context.skip(unavailable)
  const results = await gradeAsPrairieLearn('01-bind', join(work, 'fixtures', 'copies-the-reference'))
  expectWellFormed(results)
  expect(results.score).toBe(0)
  for (const test of results.tests) expect(test.output, test.name).toContain('reached nothing')
})

interface Results {
  gradable: boolean
  score: number
  message: string
  tests: { name: string; points: number; max_points: number; message: string; output: string }[]
}

/** docs/externalGrading.md: score a number in [0, 1]; points and max_points on every test, or the element shows none. */
function expectWellFormed(results: Results): void {
  expect(results.gradable).toBe(true)
  expect(typeof results.score).toBe('number')
  expect(results.score).toBeGreaterThanOrEqual(0)
  expect(results.score).toBeLessThanOrEqual(1)
  expect(typeof results.message).toBe('string')
  for (const test of results.tests) {
    expect(Object.keys(test).sort()).toEqual(['max_points', 'message', 'name', 'output', 'points'])
    expect(test.points).toBeGreaterThanOrEqual(0)
    expect(test.points).toBeLessThanOrEqual(test.max_points)
    expect(typeof test.output).toBe('string')
  }
  const points = sumPoints(results.tests.map((test) => test.points))
  const maxPoints = sumPoints(results.tests.map((test) => test.max_points))
  expect(results.score).toBeCloseTo(points / maxPoints, 10)
  expect(results.message).toContain(`${points} of ${maxPoints} points`)
}

const INSTRUCTOR_TEST = "an instructor's own check"

/**
 * One job: the fixture's kata file uploaded on its own, run with the question's entrypoint; with
 * `instructorTest`, the question's tests/ holds the kata's tests plus one of the instructor's own.
 */
async function gradeAsPrairieLearn(kataFolder: string, fixture: string, options: { instructorTest?: boolean } = {}): Promise<Results> {
  const kata = kataFromFolder(kataFolder)!
  const grade = await mkdtemp(join(work, 'job-'))
  await chmod(grade, 0o755) // wider than PrairieLearn's own (tmp.dir: 0700), so that the entry point is seen locking it
  for (const folder of ['student', 'data', 'serverFilesCourse']) await mkdir(join(grade, folder))
  await cp(join(questionFolder(kata.folder), 'tests'), join(grade, 'tests'), { recursive: true }) // PrairieLearn copies the question's tests/ in
  await cp(join(fixture, kata.folder, kata.implementationFile), join(grade, 'student', kata.implementationFile))
  await writeFile(join(grade, 'data', 'data.json'), JSON.stringify({ params: {}, correct_answers: {}, submitted_answers: {}, gradable: true }))
  if (options.instructorTest) {
    await cp(join(katasDir, kata.folder), join(grade, 'tests', kata.folder), { recursive: true })
    await appendFile(join(grade, 'tests', kata.folder, kata.testFile), `\ntest(${JSON.stringify(INSTRUCTOR_TEST)}, () => { expect(1 + 1).toBe(2) })\n`)
  }
  const { externalGradingOptions: options_ } = await questionInfo(kata.folder)
  const [entrypoint, ...args] = options_.entrypoint
  const name = `prairielearn-e2e-${kata.folder}-${Date.now()}`
  try {
    await run(
      'docker',
      ['run', '--name', name, '--tty', '--network', 'none', '--memory', '2g', '--memory-swap', '2g', '--cpus', '0.9', '--pids-limit', '1024', '--ulimit', 'core=0', '--ipc', 'private',
        '--volume', `${grade}:/grade`, '--entrypoint', entrypoint!, options_.image, ...args],
      { timeout: options_.timeout * 1000 + ENGINE_GRACE_MS },
    )
  } finally {
    await run('docker', ['rm', '--force', name], { timeout: ENGINE_GRACE_MS }).catch(() => {})
  }
  // The kata processes' users reach nothing of the job: results, data, the question's tests and reference
  // (the hostile upload below proves it from inside).
  expect((await stat(grade)).mode & 0o777).toBe(0o700)
  const text = await readFile(join(grade, 'results', 'results.json'), 'utf8')
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(RESULTS_BUDGET_BYTES)
  await rm(grade, { recursive: true, force: true })
  return JSON.parse(text) as Results
}

function questionFolder(kata: string): string {
  return join(work, 'snippet', 'questions', QUESTIONS_FOLDER, kata)
}

async function questionInfo(kata: string) {
  return JSON.parse(await readFile(join(questionFolder(kata), 'info.json'), 'utf8')) as {
    uuid: string
    externalGradingOptions: { image: string; entrypoint: string[]; timeout: number }
  }
}

/** Why no container can be run here as PrairieLearn runs one (it bind-mounts /grade: a local engine and its CLI). */
async function dockerEngineMissing(): Promise<string | undefined> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: ENGINE_GRACE_MS })
    return undefined
  } catch (error) {
    return `no local Docker engine answers the docker CLI here (${(error as Error).message.split('\n')[0]}); .ci/run installs and starts one`
  }
}
