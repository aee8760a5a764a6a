/**
 * The PrairieLearn external grader's entry point, run by the image's Node for one question (one kata):
 *   node --import <tsx> entrypoint.ts --kata 01-bind [--timeout SECONDS]
 * PrairieLearn mounts the job at /grade: the uploaded files in /grade/student (pl-file-upload puts
 * each under its own name, flat), the question's tests/ folder in /grade/tests, and expects
 * /grade/results/results.json, which it creates no folder for, by the time this exits
 * (https://github.com/PrairieLearn/PrairieLearn/blob/master/docs/externalGrading.md, "The Grading Process").
 * It starts the container with the image's own user (root here) and the entrypoint as argv, no shell,
 * network disabled (apps/grader-host/src/index.ts, runJob); a non-zero exit marks the job failed.
 *
 * Hidden tests: the question's own tests/ folder, when it holds this kata's tests laid out like
 * katas/ (tests/01-bind/bind.test.ts, its stub and README; grading.json beside them for points). The
 * reference solution is there too (tests/reference/01-bind/bind.ts): each job calibrates against it.
 * Both stay in the course repository: the image, on Docker Hub, is public.
 */
import { existsSync } from 'node:fs'
import { chmod, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { kataFromFolder, type Kata } from '../../../harness/katas.ts'
import { gradeOne, PLATFORM_DEFAULTS, writeResultsFile } from '../grade-one.ts'
import { REFERENCE_FOLDER } from './course-snippet.ts'
import { notGradable, prairielearnResults, type PrairieLearnResults } from './results.ts'

const GRADE_DIR = '/grade'

async function main(): Promise<void> {
  const results = await gradedOrNot()
  await writeResults(results)
  console.log(results.gradable ? `score ${results.score}: ${results.message}` : `not gradable: ${results.message}`)
}

async function gradedOrNot(): Promise<PrairieLearnResults> {
  const { values } = parseArgs({ options: { kata: { type: 'string' }, timeout: { type: 'string' } } })
  const kata = kataFromFolder(values.kata ?? '')
  if (!kata) return notGradable(`the question's entrypoint names no kata (--kata NN-slug), but ${JSON.stringify(values.kata)}`)
  const timeoutSeconds = Number(values.timeout ?? PLATFORM_DEFAULTS.timeoutSeconds)
  if (!(timeoutSeconds > 0)) return notGradable(`--timeout must be a number of seconds, not ${JSON.stringify(values.timeout)}`)
  const testsRoot = hiddenTests(kata)
  const referenceDir = join(GRADE_DIR, 'tests', REFERENCE_FOLDER)
  if (!existsSync(join(referenceDir, kata.folder, kata.implementationFile))) {
    return notGradable(`the question's tests/${REFERENCE_FOLDER}/ holds no reference solution for ${kata.folder}: copy the question again from the course snippet`)
  }
  try {
    // The student's code runs as other users, which must reach neither the results nor the question's tests.
    await chmod(GRADE_DIR, 0o700)
    const { grade, isolation } = await gradeOne({ submissionDir: join(GRADE_DIR, 'student'), testsRoot, referenceDir, katas: [kata.folder], timeoutSeconds })
    console.log(`graded ${kata.folder} with ${isolation}`)
    return prairielearnResults(grade)
  } catch (error) {
    // Why the grader failed may quote the instructor's tests (a reference that fails one): the job's log alone has it then.
    console.error(error)
    return notGradable(testsRoot ? "the grading job's log says why" : (error as Error).message)
  }
}

/** The question's tests/ folder when it holds this kata's tests (an instructor's hidden tests); katas/ otherwise. */
function hiddenTests(kata: Kata): string | undefined {
  const tests = join(GRADE_DIR, 'tests')
  return existsSync(join(tests, kata.folder, kata.testFile)) ? tests : undefined
}

/** A results.json the student's code left (it cannot: /grade is root's alone) is replaced, never written through. */
async function writeResults(results: PrairieLearnResults): Promise<void> {
  const folder = join(GRADE_DIR, 'results')
  await mkdir(folder, { recursive: true, mode: 0o755 })
  await writeResultsFile(join(folder, 'results.json'), results)
}

await main()
// Nothing the runs left may keep the container up until PrairieLearn's timeout fails the job.
process.exit(0)
