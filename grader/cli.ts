/**
 * npm run grade -- <submissions-dir> --out <dir> [--isolation process|docker] [--image NAME]
 *                  [--timeout SECONDS] [--concurrency N] [--tests DIR] [--shard I/N] [--memory MIB]
 *                  [--accept-weak-isolation]
 * npm run grade -- merge <dir>... --out <dir>
 *
 * Exits 0 once grading finished, whatever the students scored; 1 when the grader itself could not
 * run (the reference solutions fail here, say) or failed on a submission (listed, to grade again);
 * 2 for a command line it does not understand.
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { bold, dim, green, red, yellow } from '../harness/reporting/colors.ts'
import { ensureDevDependencies } from '../harness/dev-dependencies.ts'
import { katasDir, typedFrom } from '../harness/paths.ts'
import { formatDuration } from '../harness/lifecycle/within.ts'
import { GraderError } from './calibration.ts'
import { gradeAll } from './grade.ts'
import { mergeRuns } from './merge.ts'
import { ProcessRunner } from './process-runner.ts'
import type { Runner } from './run-request.ts'
import { parseShard } from './submissions.ts'

const USAGE = `usage:
  npm run grade -- <submissions-dir> --out <dir> [--isolation process|docker] [--image NAME]
                   [--timeout SECONDS] [--concurrency N] [--tests DIR] [--shard I/N] [--memory MIB]
                   [--accept-weak-isolation]
  npm run grade -- merge <dir>... --out <dir>`

class UsageError extends Error {}

const fromCwd = (path: string) => resolve(typedFrom(), path)

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      isolation: { type: 'string', default: 'process' },
      image: { type: 'string', default: 'socket-katas-grader' },
      timeout: { type: 'string', default: '30' },
      concurrency: { type: 'string', default: String(2 * availableParallelism()) },
      tests: { type: 'string' },
      shard: { type: 'string' },
      memory: { type: 'string', default: '2048' },
      'accept-weak-isolation': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return void console.log(USAGE)
  if (!values.out) throw new UsageError('--out <dir> is required')
  const outDir = fromCwd(values.out)

  if (positionals[0] === 'merge') {
    const started = performance.now()
    const grades = await mergeRuns(positionals.slice(1).map(fromCwd), outDir)
    return void console.log(green(`Merged ${grades.length} submissions in ${formatDuration(performance.now() - started)} into ${values.out}`))
  }

  if (positionals.length !== 1) throw new UsageError('name exactly one folder of submissions')
  const submissionsDir = fromCwd(positionals[0]!)
  if (!existsSync(submissionsDir)) throw new UsageError(`no such folder: ${submissionsDir}`)
  const testsRoot = values.tests ? fromCwd(values.tests) : katasDir
  const timeoutSeconds = positiveNumber('--timeout', values.timeout)
  const memoryMiB = positiveNumber('--memory', values.memory)
  const concurrency = positiveNumber('--concurrency', values.concurrency)
  const shard = values.shard ? parseShard(values.shard) : undefined

  const acceptWeakIsolation = values['accept-weak-isolation']
  const runner = await makeRunner(values.isolation, { testsRoot, memoryMiB, image: values.image, acceptWeakIsolation })
  try {
    console.error(dim(`grading with isolation: ${runner.description}; calibrating against the reference solutions first`))
    const started = performance.now()
    const { grades } = await gradeAll({ submissionsDir, outDir, testsRoot, runner, timeoutSeconds, memoryMiB, concurrency, shard })
    const took = formatDuration(performance.now() - started)
    console.log(green(`Graded ${grades.length} submissions in ${took}.`) + ` Wrote ${values.out}/grades.csv, junit.xml, report.html and <submission>/results.json`)
    const faulted = grades.filter((grade) => grade.katas.some((kata) => kata.problem?.kind === 'grader-error'))
    if (faulted.length > 0) {
      console.error(red(bold(`The grader failed on ${faulted.length} submission(s), through no fault of theirs: grade them again.`)))
      for (const grade of faulted) console.error(red(`  ${grade.submission}: ${grade.katas.find((kata) => kata.problem)?.problem?.reason}`))
      process.exitCode = 1
    }
  } finally {
    await runner.close()
  }
}

async function makeRunner(
  isolation: string | undefined,
  options: { testsRoot: string; memoryMiB: number; image: string; acceptWeakIsolation: boolean },
): Promise<Runner> {
  if (isolation === 'process') return ProcessRunner.open(options, (line) => console.error(yellow(line)))
  if (isolation === 'docker') {
    await ensureDevDependencies('docker isolation drives the engine through testcontainers')
    const { DockerRunner } = await import('./docker-runner.ts')
    return DockerRunner.start({ ...options, defaultTestsRoot: katasDir })
  }
  throw new UsageError(`--isolation ${isolation}: expected process or docker`)
}

function positiveNumber(flag: string, text: string | undefined): number {
  const value = Number(text)
  if (!(value > 0)) throw new UsageError(`${flag} ${text}: expected a positive number`)
  return value
}

try {
  await main(process.argv.slice(2))
} catch (error) {
  if (error instanceof UsageError || (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    console.error(`${red((error as Error).message)}\n${USAGE}`)
    process.exitCode = 2
  } else {
    const failure = error instanceof GraderError ? `The grader could not run: ${error.message}` : `The grader failed: ${(error as Error).stack ?? error}`
    console.error(red(bold(failure)))
    process.exitCode = 1
  }
}
