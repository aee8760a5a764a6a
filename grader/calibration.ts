/**
 * Before grading anyone, the reference solutions run through the very same isolation. Their run
 * fixes which tests count here (a check the host cannot make, such as IPv6 in a network-less
 * container, is skipped for everyone alike) and proves the host can grade at all: if the reference
 * fails, the grader stops instead of handing out wrong zeros.
 */
import { listKatas, type Kata } from '../harness/katas.ts'
import { readPointsManifest, splitPoints, DEFAULT_KATA_POINTS } from './manifest.ts'
import type { Runner } from './run-request.ts'

export interface CalibratedKata {
  kata: string
  maxPoints: number
  /** `title`: the test's own name, as the kata's lesson names it (`name` has the describe blocks too). */
  tests: { name: string; title?: string; maxPoints: number }[]
  /** Tests this host cannot run, skipped for every submission, with the reason. */
  skipped: { name: string; note: string }[]
}

export interface Calibration {
  katas: CalibratedKata[]
}

export class GraderError extends Error {
  override name = 'GraderError'
}

/** `only`: these kata folders alone (a platform question that grades one kata), else every kata in `testsRoot`. */
export async function calibrate(runner: Runner, testsRoot: string, referenceDir: string, timeoutMs: number, only?: string[]): Promise<Calibration> {
  const katas = listKatas(testsRoot).filter((kata) => !only || only.includes(kata.folder))
  if (katas.length === 0) throw new GraderError(only ? `no kata tests for ${only.join(', ')} in ${testsRoot}` : `no kata tests found in ${testsRoot}`)
  const points = await readPointsManifest(testsRoot)
  const outcome = await runner.run({ implementationDir: referenceDir, katas: katas.map((kata) => kata.folder), timeoutMs })
  return { katas: katas.map((kata) => calibrateKata(kata, outcome, points.get(kata.folder) ?? DEFAULT_KATA_POINTS)) }
}

function calibrateKata(kata: Kata, outcome: Awaited<ReturnType<Runner['run']>>, points: number): CalibratedKata {
  const run = outcome.record.katas.get(kata.folder)
  const cannotGrade = (why: string) =>
    new GraderError(`the reference solution of ${kata.folder} ${why}, so this host cannot grade it:\n${outcome.outputTail.slice(-2000)}`)
  if (!run?.finished) throw cannotGrade(outcome.timedOut ? 'timed out' : 'did not finish (the test process ended early)')
  const failed = [...run.tests].filter(([, test]) => test.state === 'failed')
  if (failed.length > 0 || run.errors.length > 0) {
    const first = failed[0] ? `${failed[0][0]}: ${failed[0][1].message}` : run.errors[0]
    throw cannotGrade(`fails here (${first})`)
  }
  const ran = [...run.tests].filter(([, test]) => test.state === 'passed')
  if (ran.length === 0) throw cannotGrade('ran no tests')
  const shares = splitPoints(points, ran.length)
  return {
    kata: kata.folder,
    maxPoints: points,
    tests: ran.map(([name, { title }], i) => ({ name, ...(title ? { title } : {}), maxPoints: shares[i]! })),
    skipped: [...run.tests].filter(([, test]) => test.state === 'skipped').map(([name, test]) => ({ name, note: test.note ?? '' })),
  }
}
