/**
 * npm run bench:grade [-- --submissions 100 --isolation process,docker --concurrency N]: grades N copies
 * of the reference solutions in each isolation mode and prints submissions per minute, with where
 * the time went (calibration, the runs, writing the class files).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { bold, dim } from '../harness/reporting/colors.ts'
import { katasDir } from '../harness/paths.ts'
import { formatDuration } from '../harness/lifecycle/within.ts'
import { writeSolutionCopies } from './fixture-submissions.ts'
import { gradeAll } from './grade.ts'
import { DEFAULT_IMAGE } from './image.ts'
import { ProcessRunner } from './process-runner.ts'
import type { Runner } from './run-request.ts'

const { values } = parseArgs({
  options: {
    submissions: { type: 'string', default: '100' },
    isolation: { type: 'string', default: 'process,docker' },
    concurrency: { type: 'string', default: String(2 * availableParallelism()) },
  },
})
const count = Number(values.submissions)
const concurrency = Number(values.concurrency)
const memoryMiB = 2048

async function runnerFor(mode: string): Promise<Runner | string> {
  if (mode === 'process') return ProcessRunner.open({ testsRoot: katasDir, memoryMiB }).catch((error: Error) => `skipped: ${error.message}`)
  const { DockerRunner } = await import('./docker-runner.ts')
  return DockerRunner.start({ image: DEFAULT_IMAGE, testsRoot: katasDir, defaultTestsRoot: katasDir, memoryMiB }).catch(
    (error: Error) => `skipped: ${error.message}`,
  )
}

const work = await mkdtemp(join(tmpdir(), 'socket-katas-bench-grade-'))
try {
  await writeSolutionCopies(join(work, 'submissions'), count)
  console.log(bold(`Grading ${count} copies of the reference solutions, ${concurrency} at a time, on ${availableParallelism()} cores`))
  for (const mode of values.isolation!.split(',')) {
    const runner = await runnerFor(mode)
    if (typeof runner === 'string') {
      console.log(`${mode}: ${runner}`)
      continue
    }
    try {
      const started = performance.now()
      const { grades, timings } = await gradeAll({
        submissionsDir: join(work, 'submissions'),
        outDir: join(work, `out-${mode}`),
        testsRoot: katasDir,
        runner,
        timeoutSeconds: 60,
        memoryMiB,
        concurrency,
      })
      const seconds = (performance.now() - started) / 1000
      const perSubmission = grades.reduce((sum, grade) => sum + grade.executionSeconds, 0) / grades.length
      const full = grades.filter((grade) => grade.points === grade.maxPoints).length
      console.log(bold(`${mode}: ${count} submissions in ${formatDuration(seconds * 1000)}: ${((count / seconds) * 60).toFixed(1)} submissions per minute`))
      console.log(dim(`  ${runner.description}; ${full}/${count} got full marks`))
      console.log(
        dim(
          `  calibration ${formatDuration(timings.calibration)}, grading ${formatDuration(timings.grading)} ` +
            `(one submission: ${perSubmission.toFixed(1)} s of wall time, ${concurrency} at a time), class files ${formatDuration(timings.writing)}`,
        ),
      )
    } finally {
      await runner.close()
    }
  }
} finally {
  await rm(work, { recursive: true, force: true })
}
