/**
 * Fairness under load: a class of one resource attacker (it burns every core, forks hundreds of
 * processes, fills its disk, eats memory past its limit) and three correct classmates, graded at the
 * default concurrency, twice, in each isolation mode. Every classmate keeps full marks every time.
 */
import { mkdtemp } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { katasDir } from '../harness/paths.ts'
import { dockerUnavailable, gradeQuietly } from './e2e-support.ts'
import { writeAttackerClass } from './fixture-submissions.ts'
import { DEFAULT_IMAGE } from './image.ts'
import { ProcessRunner } from './process-runner.ts'
import type { Runner } from './run-request.ts'

const CLASSMATES = 3
const ROUNDS = 2

async function processRunner(): Promise<Runner | string> {
  return ProcessRunner.open({ testsRoot: katasDir, memoryMiB: 2048 }).catch((error: Error) => error.message)
}

async function dockerRunner(): Promise<Runner | string> {
  const unavailable = await dockerUnavailable()
  if (unavailable) return unavailable
  const { DockerRunner } = await import('./docker-runner.ts')
  return DockerRunner.start({ image: DEFAULT_IMAGE, testsRoot: katasDir, defaultTestsRoot: katasDir, memoryMiB: 2048 })
}

describe.each([
  ['process', processRunner],
  ['docker', dockerRunner],
])('in %s isolation, an attacker beside three correct classmates costs them nothing', (_, open) => {
  test.for(Array.from({ length: ROUNDS }, (_, i) => i + 1))('round %i', async (_round, context) => {
    const runner = await open()
    if (typeof runner === 'string') return context.skip(runner)
    const work = await mkdtemp(join(tmpdir(), 'grader-fairness-'))
    await writeAttackerClass(join(work, 'submissions'), CLASSMATES)
    try {
      const { grades } = await gradeQuietly(work, runner, { timeoutSeconds: 30, concurrency: 2 * availableParallelism() })
      const scores = Object.fromEntries(grades.map((grade) => [grade.submission, `${grade.points}/${grade.maxPoints}`]))
      const full = `${grades[0]!.maxPoints}/${grades[0]!.maxPoints}`
      const expected = Object.fromEntries(Array.from({ length: CLASSMATES }, (_, i) => [`classmate-${i + 1}`, full]))
      expect(scores, 'every classmate keeps full marks; the attacker scores nothing').toEqual({ ...expected, attacker: `0/${grades[0]!.maxPoints}` })
      const attack = grades.find((grade) => grade.submission === 'attacker')!.katas.find((kata) => kata.kata === '01-bind')!
      expect(attack.problem?.kind, 'the attacking kata loaded, attacked and held on until its time was up').toBe('timed-out')
    } finally {
      await runner.close()
    }
  })
})
