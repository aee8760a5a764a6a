/**
 * npm run test:node-versions: the kata suite against solutions/ on each pinned Node (22 and 24, from
 * tools/node-binary.ts), one after the other, as CI runs it besides the machine's own Node. The kata
 * processes run on the Node under test too: they are started with the test process's own binary.
 *
 *   npm run test:node-versions          every pinned version
 *   npm run test:node-versions -- 22    only Node 22
 */
import { spawn } from 'node:child_process'
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

process.exitCode = await main()
