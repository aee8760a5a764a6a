/**
 * npm run bench [-- --runs N]: wall time of the whole kata suite against the solutions, beside a
 * one-test Vitest run through the same config (the start-up floor), measured alternately in the
 * same run, and their ratio. Medians, so one slow run does not decide.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { bold, dim } from '../harness/reporting/colors.ts'
import { projectRoot, solutionsDir } from '../harness/paths.ts'
import { runCommand } from '../harness/run-command.ts'
import { vitestBin } from '../harness/run-katas.ts'
import { formatDuration } from '../harness/lifecycle/within.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } })
const runs = Number(values.runs)

const floorTests = join(projectRoot, 'tools', 'bench', 'floor')

async function timeRun(env: NodeJS.ProcessEnv): Promise<{ ms: number; output: string }> {
  const started = performance.now()
  const args = [vitestBin, 'run', '--project', 'katas']
  const { exitCode, output } = await runCommand(process.execPath, args, { env: { ...process.env, NO_COLOR: '1', ...env } })
  const ms = performance.now() - started
  if (exitCode !== 0) throw new Error(`a benchmark run failed (exit code ${exitCode}):\n${output}`)
  return { ms, output }
}

function summary(samples: number[]): { median: number; text: string } {
  const sorted = [...samples].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]!
  const text = `median ${formatDuration(median)}  ${dim(`(min ${formatDuration(sorted[0]!)}, max ${formatDuration(sorted.at(-1)!)})`)}`
  return { median, text }
}

const floor: number[] = []
const suite: number[] = []
let lastSuiteOutput = ''
console.log(bold(`Benchmark: ${runs} runs of each, alternating (node ${process.version})`))
for (let i = 0; i < runs; i++) {
  floor.push((await timeRun({ KATA_TESTS: floorTests })).ms)
  const run = await timeRun({ KATA_IMPL: solutionsDir })
  suite.push(run.ms)
  lastSuiteOutput = run.output
  process.stdout.write(dim(`  run ${i + 1}: floor ${formatDuration(floor.at(-1)!)}, suite ${formatDuration(run.ms)}\n`))
}
const floorSummary = summary(floor)
const suiteSummary = summary(suite)
const tests = /Tests\s+(.*)/.exec(lastSuiteOutput)?.[1]?.trim()
const vitestSplit = /Duration\s+(.*)/.exec(lastSuiteOutput)?.[1]?.trim()
console.log(`floor (one trivial test):      ${floorSummary.text}`)
console.log(`suite (solutions, ${tests}): ${suiteSummary.text}`)
console.log(dim(`  last suite run as Vitest splits it: ${vitestSplit}`))
console.log(bold(`ratio suite / floor: ${(suiteSummary.median / floorSummary.median).toFixed(2)}×`))
