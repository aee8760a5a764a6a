/**
 * One submission graded as a platform's container grades it (gradeOne), with an instructor's own
 * tests: a failing test the student's lesson describes is explained as `npm test` explains it; the
 * instructor's own test says passed or failed and nothing more; code that reads for the hidden tests
 * reaches nothing.
 */
import { chmod, cp, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, expect, test } from 'vitest'
import { katasDir, projectRoot } from '../../harness/paths.ts'
import { writeFixtureSubmissions } from '../fixture-submissions.ts'
import type { KataGrade } from '../grade-submission.ts'
import { probeHost } from '../process-runner.ts'
import { gradeOne } from './grade-one.ts'

const HIDDEN_TITLE = 'an instructor check: bound to ::1, nothing answers on 127.0.0.1 at that port'
/** Appended inside the describe block of kata 01's tests: the reference passes it, an always-127.0.0.1 bind fails it. */
const HIDDEN_TEST = `
  test(${JSON.stringify(HIDDEN_TITLE)}, async (context) => {
    await requireAddress(context, '::1')
    const { port } = await bindOnAFreePort('::1')
    expect(await connectionAttempt('::1', port), 'SECRET-INSTRUCTOR-WORDING').toBe('connected')
  })
})
`

let work: string
let testsRoot: string
let notRoot: string | undefined

beforeAll(async () => {
  const host = await probeHost()
  host.groups.close()
  if (!host.asRoot) notRoot = 'gradeOne needs root (kata processes as throwaway users), as in a platform container'
  work = await mkdtemp(join(tmpdir(), 'grade-one-e2e-'))
  await chmod(work, 0o755) // like an instructor's folder anywhere: readable to all, unless the grader locks it
  testsRoot = join(work, 'instructor-tests')
  await cp(join(katasDir, '01-bind'), join(testsRoot, '01-bind'), { recursive: true })
  const testFile = join(testsRoot, '01-bind', 'bind.test.ts')
  const source = await readFile(testFile, 'utf8')
  await writeFile(testFile, source.replace(/\}\)\s*$/, HIDDEN_TEST))
})

/** Graded in a bubblewrap sandbox where this host has one; `unsandboxed`, as in a platform container without it (Gradescope's). */
async function graded(name: string, kataFile: (dir: string) => Promise<void>, unsandboxed = false): Promise<KataGrade> {
  const submission = join(work, name)
  await mkdir(submission, { recursive: true })
  await kataFile(submission)
  const host = unsandboxed ? { ...(await probeHost()), sandboxProblem: 'posing as a platform container without bubblewrap' } : undefined
  const { grade } = await gradeOne({ submissionDir: submission, testsRoot, warn: () => {}, host })
  expect(grade.katas.map((kata) => kata.kata)).toEqual(['01-bind'])
  return grade.katas[0]!
}

test("an upload of the wrong bind.ts: visible failures teach as npm test does; the instructor's own test says failed, nothing more", async (context) => {
  if (notRoot) context.skip(notRoot)
  const kata = await graded('always-loopback', (dir) => cp(join(projectRoot, 'fixtures', 'wrong', '01-bind', 'always-loopback.ts'), join(dir, 'bind.ts')))
  const hidden = kata.tests.find((test) => test.name.endsWith(HIDDEN_TITLE))!
  expect(hidden, 'the hidden test, graded').toMatchObject({ hidden: true, passed: false, points: 0 })
  expect(hidden.output).toBe("failed: this is one of your instructor's own tests, and its details are not shown")
  const visible = kata.tests.filter((test) => test !== hidden)
  expect(visible.every((test) => test.hidden === false), 'every test the lesson describes is visible').toBe(true)
  const failing = visible.find((test) => test.name.includes('bound to ::1'))!
  expect(failing.passed).toBe(false)
  expect(failing.output).toContain('when bind() resolved, the server was listening on 127.0.0.1:')
  expect(failing.output).toMatch(/^ {2}expected: listening on \[::1\]:\d+$/m)
  expect(failing.output).toContain("What this test checks (katas/01-bind/README.md): calls bind('::1', port).")
  expect(failing.output).toMatch(/^at katas\/01-bind\/bind\.test\.ts:\d+:\d+$/m)
  expect(kata.tests.map((test) => test.output).join('\n'), 'nothing of the hidden test reaches the student').not.toContain('SECRET-INSTRUCTOR-WORDING')
})

test('a correct upload passes the hidden test too: it says passed', async (context) => {
  if (notRoot) context.skip(notRoot)
  const kata = await graded('correct', (dir) => cp(join(projectRoot, 'solutions', '01-bind', 'bind.ts'), join(dir, 'bind.ts')))
  expect(kata.points).toBe(kata.maxPoints)
  expect(kata.tests.find((test) => test.hidden)?.output).toBe('passed')
})

test.for(['in a sandbox', 'without one'])("code that reads for the instructor's tests and the solutions as it loads reaches nothing, %s", async (where, context) => {
  if (notRoot) context.skip(notRoot)
  const name = `prober ${where}`
  await writeFixtureSubmissions(join(work, name), ['reads-hidden-tests'], { tests: testsRoot })
  const kata = await graded(name, (dir) => cp(join(dir, 'reads-hidden-tests', '01-bind', 'bind.ts'), join(dir, 'bind.ts')), where === 'without one')
  for (const test of kata.tests.filter((test) => !test.hidden)) expect(test.output, test.name).toContain('reached nothing')
  expect((await stat(testsRoot)).mode & 0o777, "the instructor's folder, as it was before grading").toBe(0o755)
})
