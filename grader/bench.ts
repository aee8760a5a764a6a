/**
 * npm run bench:grade [-- --submissions 100 --isolation process,docker --concurrency N --baseline <git ref>]:
 * grades N copies of the reference solutions in each isolation mode and prints submissions per
 * minute, with where the time went (calibration, the runs, writing the class files). With
 * --baseline, that commit's own bench:grade runs first, mode by mode, in a checkout beside this one,
 * and the cost of this commit's grader is printed against it.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { bold, dim } from '../harness/reporting/colors.ts'
import { ensureDevDependencies } from '../harness/dev-dependencies.ts'
import { katasDir, projectRoot } from '../harness/paths.ts'
import { checkout } from '../tools/worktree.ts'
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
    baseline: { type: 'string' },
  },
})
const count = Number(values.submissions)
const concurrency = Number(values.concurrency)
const memoryMiB = 2048

async function runnerFor(mode: string): Promise<Runner | string> {
  if (mode === 'process') return ProcessRunner.open({ testsRoot: katasDir, memoryMiB }).catch((error: Error) => `skipped: ${error.message}`)
  await ensureDevDependencies('docker isolation drives the engine through testcontainers')
  const { DockerRunner } = await import('./docker-runner.ts')
  return DockerRunner.start({ image: DEFAULT_IMAGE, testsRoot: katasDir, defaultTestsRoot: katasDir, memoryMiB }).catch(
    (error: Error) => `skipped: ${error.message}`,
  )
}

/** Submissions per minute in one mode, by this commit's grader; a string when the mode cannot run here. */
async function benchmark(mode: string, submissionsDir: string, outDir: string): Promise<number | string> {
  const runner = await runnerFor(mode)
  if (typeof runner === 'string') return runner
  try {
    const started = performance.now()
    const { grades, timings } = await gradeAll({ submissionsDir, outDir, testsRoot: katasDir, runner, timeoutSeconds: 60, memoryMiB, concurrency })
    const seconds = (performance.now() - started) / 1000
    const perMinute = (count / seconds) * 60
    const perSubmission = grades.reduce((sum, grade) => sum + grade.executionSeconds, 0) / grades.length
    const full = grades.filter((grade) => grade.points === grade.maxPoints).length
    console.log(bold(`${mode}: ${count} submissions in ${formatDuration(seconds * 1000)}: ${perMinute.toFixed(1)} submissions per minute`))
    console.log(dim(`  ${runner.description}; ${full}/${count} got full marks`))
    console.log(
      dim(
        `  calibration ${formatDuration(timings.calibration)}, grading ${formatDuration(timings.grading)} ` +
          `(one submission: ${perSubmission.toFixed(1)} s of wall time, ${concurrency} at a time), class files ${formatDuration(timings.writing)}`,
      ),
    )
    return perMinute
  } finally {
    await runner.close()
  }
}

/** The baseline commit's own bench:grade for one mode, run in its checkout: its submissions per minute. */
async function baselineBenchmark(root: string, mode: string): Promise<number | string> {
  const tsx = join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs')
  const args = [tsx, 'grader/bench.ts', '--submissions', String(count), '--isolation', mode, '--concurrency', String(concurrency)]
  const { output } = await new Promise<{ output: string }>((resolve, reject) => {
    let output = ''
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('error', reject)
    child.once('close', () => resolve({ output }))
  })
  const rate = /([\d.]+) submissions per minute/.exec(output)?.[1]
  return rate ? Number(rate) : `the baseline's bench did not report a rate: ${output.trim().split('\n').at(-1)}`
}

const work = await mkdtemp(join(tmpdir(), 'socket-katas-bench-grade-'))
const baseline = values.baseline ? await checkout(values.baseline) : undefined
try {
  await writeSolutionCopies(join(work, 'submissions'), count)
  console.log(bold(`Grading ${count} copies of the reference solutions, ${concurrency} at a time, on ${availableParallelism()} cores`))
  const summary: string[] = []
  for (const mode of values.isolation!.split(',')) {
    const before = baseline ? await baselineBenchmark(baseline.root, mode) : undefined
    const now = await benchmark(mode, join(work, 'submissions'), join(work, `out-${mode}`))
    if (typeof now === 'string') console.log(`${mode}: ${now}`)
    if (before === undefined) continue
    if (typeof before === 'string' || typeof now === 'string') summary.push(`${mode}: no comparison (${typeof before === 'string' ? before : now})`)
    else summary.push(`${mode}: ${now.toFixed(1)}/min now, ${before.toFixed(1)}/min at ${values.baseline}: ${costText(now, before)}`)
  }
  if (summary.length > 0) console.log(bold(`\nAgainst the baseline, measured in this run:\n${summary.join('\n')}`))
} finally {
  await baseline?.remove()
  await rm(work, { recursive: true, force: true })
}

function costText(now: number, before: number): string {
  const change = (before - now) / before
  return change > 0 ? `${(change * 100).toFixed(0)}% slower` : `${(-change * 100).toFixed(0)}% faster`
}
