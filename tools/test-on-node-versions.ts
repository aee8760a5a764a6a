/**
 * npm run test:node-versions: the kata suite against solutions/ on each pinned Node (22 and 24, from
 * tools/node-binary.ts), one after the other, as CI runs it besides the machine's own Node; then
 * `npm run grade` with its default options, on that Node, over a class of two correct submissions,
 * which must both get full marks. The kata processes run on the Node under test too: they are
 * started with the test process's own binary.
 *
 *   npm run test:node-versions          every pinned version
 *   npm run test:node-versions -- 22    only Node 22
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeSolutionCopies } from '../grader/fixture-submissions.ts'
import type { SubmissionGrade } from '../grader/grade-submission.ts'
import { formatDuration } from '../harness/lifecycle/within.ts'
import { projectRoot, solutionsDir } from '../harness/paths.ts'
import { bold, green, red } from '../harness/reporting/colors.ts'
import { vitestBin } from '../harness/run-katas.ts'
import { PINNED_NODE, pinnedNode, type PinnedMajor } from './node-binary.ts'

async function main(): Promise<number> {
  const majors = requestedMajors(process.argv.slice(2))
  const results: string[] = []
  let failed = false
  for (const major of majors) {
    const node = await pinnedNode(major)
    console.log(bold(`\nThe kata suite against solutions/ on Node ${PINNED_NODE[major]}`))
    const started = performance.now()
    const exitCode = await runSuite(node)
    const took = formatDuration(performance.now() - started)
    failed ||= exitCode !== 0
    results.push(exitCode === 0 ? green(`✔ Node ${PINNED_NODE[major]}: passed, ${took}`) : red(`✘ Node ${PINNED_NODE[major]}: failed (exit code ${exitCode}), ${took}`))

    console.log(bold(`\nnpm run grade on Node ${PINNED_NODE[major]}, a class of two correct submissions`))
    const gradingStarted = performance.now()
    const grading = await gradeCorrectClass(node)
    const gradingTook = formatDuration(performance.now() - gradingStarted)
    failed ||= grading !== 'full marks'
    results.push(grading === 'full marks' ? green(`✔ Node ${PINNED_NODE[major]}: npm run grade gave full marks, ${gradingTook}`) : red(`✘ Node ${PINNED_NODE[major]}: npm run grade: ${grading}, ${gradingTook}`))
  }
  console.log(`\n${results.join('\n')}`)
  return failed ? 1 : 0
}

function requestedMajors(args: string[]): PinnedMajor[] {
  const all = Object.keys(PINNED_NODE).map(Number) as PinnedMajor[]
  if (args.length === 0) return all
  const asked = args.map(Number)
  const unknown = args.filter((_, index) => !all.includes(asked[index] as PinnedMajor))
  if (unknown.length > 0) throw new Error(`no pinned Node ${unknown.join(', ')}: the pinned ones are ${all.join(', ')}`)
  return asked as PinnedMajor[]
}

function runSuite(node: string): Promise<number | null> {
  const env: NodeJS.ProcessEnv = { ...process.env, KATA_IMPL: solutionsDir }
  return new Promise((resolve, reject) => {
    const child = spawn(node, [vitestBin, 'run', '--project', 'katas'], { cwd: projectRoot, env, stdio: 'inherit' })
    child.once('error', reject)
    child.once('close', (code, signal) => resolve(signal ? 128 : code))
  })
}

/** `npm run grade` with its default options, run by `node`: 'full marks', or what went wrong. */
async function gradeCorrectClass(node: string): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'socket-katas-grade-on-node-'))
  try {
    await writeSolutionCopies(join(work, 'submissions'), 2)
    const tsx = join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs')
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(node, [tsx, 'grader/cli.ts', join(work, 'submissions'), '--out', join(work, 'out')], { cwd: projectRoot, stdio: 'inherit' })
      child.once('error', reject)
      child.once('close', (code, signal) => resolve(signal ? 128 : code))
    })
    if (exitCode !== 0) return `exit code ${exitCode}`
    const grades = await Promise.all(
      ['student-001', 'student-002'].map(async (name) => JSON.parse(await readFile(join(work, 'out', name, 'grading.json'), 'utf8')) as SubmissionGrade),
    )
    const short = grades.filter((grade) => grade.points !== grade.maxPoints)
    return short.length === 0 ? 'full marks' : `not full marks: ${short.map((grade) => `${grade.submission} ${grade.points}/${grade.maxPoints}`).join(', ')}`
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

process.exitCode = await main()
