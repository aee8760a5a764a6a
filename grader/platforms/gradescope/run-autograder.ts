/**
 * What Gradescope's run_autograder starts, as root, once per submission, in a fresh container:
 * grades <root>/submission (gradeOne: calibration, then the kata tests in the kata process design) and
 * writes <root>/results/results.json. <root> is /autograder (--root relocates it, for the tests).
 *
 *   run-autograder.ts --root DIR [--tests DIR] [--timeout SECONDS]
 *   run-autograder.ts --check [--tests DIR] [--timeout SECONDS]   setup.sh's smoke run: calibrates, writes nothing
 *
 * Exits 0 whenever a valid results.json was written, the grader's own failure included: Gradescope
 * reads that file, not the exit code (https://gradescope-autograders.readthedocs.io/en/latest/specs/),
 * and only a valid file lets the student read that the autograder failed, not their code; the reason
 * goes to the log (results/stdout, instructors only) and to an entry only instructors see.
 */
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { katasDir, projectRoot } from '../../../harness/paths.ts'
import { autograderFailure, gradescopeResults, type GradescopeResults } from '../../outputs/gradescope.ts'
import { gradeOne, PLATFORM_DEFAULTS, writeResultsFile, type GradedOne } from '../grade-one.ts'

interface Options {
  testsRoot: string
  timeoutSeconds: number
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      root: { type: 'string' },
      tests: { type: 'string' },
      timeout: { type: 'string', default: String(PLATFORM_DEFAULTS.timeoutSeconds) },
      check: { type: 'boolean', default: false },
    },
  })
  const options: Options = {
    testsRoot: values.tests ? resolve(projectRoot, values.tests) : katasDir,
    timeoutSeconds: Number(values.timeout),
  }
  if (values.check) return check(options)
  if (!values.root) throw new Error('--root <dir> is required (Gradescope: /autograder)')
  return gradeSubmission(resolve(values.root), options)
}

async function gradeSubmission(root: string, options: Options): Promise<number> {
  const resultsDir = join(root, 'results')
  // The student's code runs as other users: it must not be able to plant a results file of its own.
  await mkdir(resultsDir, { recursive: true })
  await chmod(resultsDir, 0o755)
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  let results: GradescopeResults
  try {
    const graded = await gradeOne({ submissionDir: join(root, 'submission'), ...options, warn: (line) => console.log(line) })
    logCalibration(graded)
    results = gradescopeResults(graded.grade, elapsed())
    console.log(`${graded.grade.points} of ${graded.grade.maxPoints} points, in ${elapsed().toFixed(1)} s`)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    console.log(`The autograder could not grade this submission: ${reason}`)
    results = autograderFailure(reason, elapsed())
  }
  await writeResultsFile(join(resultsDir, 'results.json'), results)
  return 0
}

/** Calibrates in this image (grading an empty submission costs nothing more): an image that cannot grade fails its build, with the reason. */
async function check(options: Options): Promise<number> {
  const empty = await mkdtemp(join(tmpdir(), 'socket-katas-empty-'))
  try {
    const graded = await gradeOne({ submissionDir: empty, ...options, warn: (line) => console.log(line) })
    logCalibration(graded)
    console.log(`This image grades: the reference solutions pass every test that counts here (${graded.grade.maxPoints} points).`)
    return 0
  } catch (error) {
    console.error(`This image cannot grade: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  } finally {
    await rm(empty, { recursive: true, force: true })
  }
}

function logCalibration({ calibration, isolation }: GradedOne): void {
  console.log(`isolation: ${isolation}`)
  for (const kata of calibration.katas) {
    for (const skipped of kata.skipped) console.log(`skipped for everyone here: ${kata.kata} › ${skipped.name}: ${skipped.note}`)
  }
}

process.exitCode = await main(process.argv.slice(2))
