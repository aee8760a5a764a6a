/**
 * npm run mutate: mutation testing of solutions/ against the kata tests (Stryker, stryker.config.mjs).
 * Every mutant must be killed by some test, or be listed in tools/mutation/equivalent-mutants.json
 * with the reason no test can tell it from the original; any other fails the run, named.
 *
 * Stryker needs Node 22 or later, so it runs on the pinned Node 24 (tools/node-binary.ts), whatever
 * Node typed the command; the kata processes it starts run on that Node too.
 *
 *   npm run mutate                                             every solution
 *   npm run mutate -- --mutate solutions/05-refused/refused.ts   one file (any Stryker option passes through)
 */
import { spawn } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureDevDependencies } from '../harness/dev-dependencies.ts'
import { projectRoot } from '../harness/paths.ts'
import { formatDuration } from '../harness/lifecycle/within.ts'
import { bold, dim, green, red, yellow } from '../harness/reporting/colors.ts'
import { describeMutant, entryFor, mutantsOf, verdictOf, type EquivalentMutant, type Mutant, type StrykerReport } from './mutation/verdict.ts'
import { PINNED_NODE, pinnedNode } from './node-binary.ts'

const strykerBin = join(projectRoot, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js')
/** Where stryker.config.mjs has the JSON reporter write. */
const reportFile = join(projectRoot, 'reports', 'mutation', 'mutation.json')
const equivalentsFile = join(projectRoot, 'tools', 'mutation', 'equivalent-mutants.json')

async function main(): Promise<number> {
  const started = performance.now()
  await ensureDevDependencies('mutation testing runs Stryker')
  const node = await pinnedNode(24)
  await rm(reportFile, { force: true }) // a run that fails early must not be judged by the last one's report
  console.log(dim(`Stryker on Node ${PINNED_NODE[24]} (${node})`))
  const exitCode = await run(node, [strykerBin, 'run', ...process.argv.slice(2)])
  const took = formatDuration(performance.now() - started)
  const report = await readFile(reportFile, 'utf8').catch(() => undefined)
  if (exitCode !== 0 || report === undefined) {
    console.error(red(`\nStryker failed (exit code ${exitCode}${report === undefined ? ', no report' : ''}), after ${took}: see above.`))
    return 1
  }
  return judge(mutantsOf(JSON.parse(report) as StrykerReport), await readEquivalents(), took)
}

function judge(mutants: Mutant[], equivalents: EquivalentMutant[], took: string): number {
  if (mutants.length === 0) {
    console.error(red(`\nStryker made no mutants (after ${took}): the mutate patterns (stryker.config.mjs, or --mutate) match no code.`))
    return 1
  }
  const verdict = verdictOf(mutants, equivalents)
  const counts = countStatuses(mutants)
  console.log('')
  for (const mutant of verdict.undetected) {
    console.log(red(`✘ ${describeMutant(mutant)}`))
    console.log(`    ${dim(mutant.status === 'Survived' || mutant.status === 'NoCoverage' ? statusText(mutant.status) : `${mutant.status}: ${mutant.statusReason ?? ''}`)}`)
    console.log(`    ${dim(`if no test can ever tell it from the original, list it in ${relativeToRoot(equivalentsFile)}:`)}`)
    console.log(`    ${dim(JSON.stringify(entryFor(mutant)))}`)
  }
  for (const mutant of verdict.detected.filter(({ status }) => status === 'Timeout')) {
    console.log(dim(`⧗ timed out, counted as detected: ${describeMutant(mutant)}${mutant.statusReason ? ` (${mutant.statusReason})` : ''}`))
  }
  for (const mutant of verdict.listedButDetected) console.log(yellow(`! listed as equivalent, yet the tests detect it (${mutant.status}): ${describeMutant(mutant)}`))
  for (const entry of verdict.stale) console.log(yellow(`! listed as equivalent, but no such mutant any more: ${entry.file} ${entry.mutator} ${entry.original} -> ${entry.replacement}`))

  console.log(
    bold(`\nMutation score ${verdict.score.toFixed(1)}%`) +
      ` (${verdict.detected.length} of ${verdict.detected.length + verdict.equivalent.length + verdict.undetected.length} mutants detected: ${counts}); ` +
      `${verdict.scoreWithoutEquivalents.toFixed(1)}% with the ${verdict.equivalent.length} listed equivalent mutant(s) set aside. Took ${took}.`,
  )
  if (verdict.undetected.length === 0) {
    console.log(green(`Every mutant is detected by the kata tests or listed as equivalent.`))
    return 0
  }
  console.log(red(`${verdict.undetected.length} mutant(s) no test detects, listed above: a test should fail for each.`))
  return 1
}

function statusText(status: string): string {
  return status === 'NoCoverage' ? 'survived: no test runs this code' : 'survived: every test that runs this code still passes'
}

function countStatuses(mutants: Mutant[]): string {
  const counts = new Map<string, number>()
  for (const { status } of mutants) counts.set(status, (counts.get(status) ?? 0) + 1)
  return [...counts].map(([status, count]) => `${count} ${status}`).join(', ')
}

async function readEquivalents(): Promise<EquivalentMutant[]> {
  return JSON.parse(await readFile(equivalentsFile, 'utf8')) as EquivalentMutant[]
}

const relativeToRoot = (path: string) => path.slice(projectRoot.length + 1)

function run(command: string, args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: projectRoot, stdio: 'inherit' })
    child.once('error', reject)
    child.once('close', (code, signal) => resolve(signal ? 128 : code))
  })
}

process.exitCode = await main()
