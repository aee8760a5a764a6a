/**
 * npm run bench [-- --runs 7 --baseline <git ref>]: what a learner waits for, measured.
 *
 * - the kata process's start-up (spawn to the kata file loaded), median of 20;
 * - the whole kata suite against solutions/, beside a one-test Vitest run through the same config
 *   (the start-up floor) and, with --baseline, the same suite of an earlier commit checked out
 *   beside this one: measured alternately in the same run, medians, and their ratios;
 * - watch mode's save-to-result time per kata, as `npm run watch` prints it, median of 5 saves.
 */
import { spawn } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { parseArgs } from 'node:util'
import { bundle, runtimeBundle } from '../harness/kata-process/bundle.ts'
import { KataProcess } from '../harness/kata-process/kata-process.ts'
import { katasDir, projectRoot, solutionsDir } from '../harness/paths.ts'
import { listKatas } from '../harness/katas.ts'
import { bold, dim } from '../harness/reporting/colors.ts'
import { formatDuration } from '../harness/lifecycle/within.ts'
import { checkout } from './worktree.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, baseline: { type: 'string' } } })
const runs = Number(values.runs)
const katas = listKatas(katasDir)

interface Summary {
  median: number
  text: string
}

function summary(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]!
  return { median, text: `median ${formatDuration(median)}  ${dim(`(min ${formatDuration(sorted[0]!)}, max ${formatDuration(sorted.at(-1)!)}, n=${samples.length})`)}` }
}

/** Spawn to "the kata file is loaded", as each kata test file pays it once (and again after a crash). */
async function kataProcessStartup(samples = 20): Promise<Summary> {
  const file = join(solutionsDir, '01-bind', 'bind.ts')
  const bundled = await bundle(file)
  if ('error' in bundled) throw new Error(bundled.error)
  await runtimeBundle()
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    const started = performance.now()
    const process = new KataProcess(runtimeBundle())
    await process.ready
    await process.load(file, bundled.code)
    times.push(performance.now() - started)
    await process.kill()
  }
  return summary(times)
}

/** One `vitest run` of the kata project in `root`, timed as a whole process. */
async function timeSuite(root: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; output: string }> {
  const started = performance.now()
  const { exitCode, output } = await new Promise<{ exitCode: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--project', 'katas'], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let text = ''
    child.stdout.on('data', (chunk) => (text += chunk))
    child.stderr.on('data', (chunk) => (text += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ exitCode: code, output: text }))
  })
  const ms = performance.now() - started
  if (exitCode !== 0) throw new Error(`a benchmark run in ${root} failed (exit code ${exitCode}):\n${output}`)
  return { ms, output }
}

async function suiteFigures(): Promise<void> {
  const floorTests = join(projectRoot, 'tools', 'bench', 'floor')
  const baseline = values.baseline ? await checkout(values.baseline) : undefined
  const samples = { floor: [] as number[], suite: [] as number[], baseline: [] as number[] }
  let lastOutput = ''
  try {
    for (let i = 0; i < runs; i++) {
      samples.floor.push((await timeSuite(projectRoot, { KATA_TESTS: floorTests })).ms)
      const run = await timeSuite(projectRoot, { KATA_IMPL: solutionsDir })
      samples.suite.push(run.ms)
      lastOutput = run.output
      if (baseline) samples.baseline.push((await timeSuite(baseline.root, { KATA_IMPL: join(baseline.root, 'solutions') })).ms)
      const base = baseline ? `, baseline ${formatDuration(samples.baseline.at(-1)!)}` : ''
      process.stdout.write(dim(`  run ${i + 1}: floor ${formatDuration(samples.floor.at(-1)!)}, suite ${formatDuration(run.ms)}${base}\n`))
    }
  } finally {
    await baseline?.remove()
  }
  const [floor, suite] = [summary(samples.floor), summary(samples.suite)]
  const tests = /Tests\s+(.*)/.exec(lastOutput)?.[1]?.trim()
  console.log(`floor (one trivial test):        ${floor.text}`)
  console.log(`suite (solutions, ${tests}): ${suite.text}`)
  console.log(dim(`  last suite run as Vitest splits it: ${/Duration\s+(.*)/.exec(lastOutput)?.[1]?.trim()}`))
  console.log(bold(`ratio suite / floor: ${(suite.median / floor.median).toFixed(2)}×`))
  if (baseline) {
    const base = summary(samples.baseline)
    console.log(`baseline (${values.baseline}):            ${base.text}`)
    console.log(bold(`ratio suite / baseline: ${(suite.median / base.median).toFixed(2)}×`))
  }
}

/**
 * Watch mode's own figure, "result N ms after your save", for each kata: a copy of the solutions
 * watched, each kata file saved again (same text) five times, the printed time read back.
 */
async function watchFigures(saves = 5): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'socket-katas-bench-watch-'))
  await cp(solutionsDir, root, { recursive: true })
  process.env.KATA_IMPL = root
  const { WatchSession } = await import('../learner/watch-session.ts')
  const output = new PassThrough()
  let screen = ''
  output.on('data', (chunk) => (screen = String(chunk)))
  const input = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.ReadStream
  const session = await WatchSession.start({ input, output: output as unknown as NodeJS.WriteStream })
  try {
    for (const kata of katas) {
      const file = join(root, kata.folder, kata.implementationFile)
      const text = await readFile(file, 'utf8')
      const times: number[] = []
      for (let i = 0; i < saves; i++) {
        screen = ''
        await writeFile(file, text)
        times.push(await savedResult(() => screen))
      }
      console.log(`watch, ${kata.folder.padEnd(24)} ${summary(times).text}`)
    }
  } finally {
    await session.stop()
    await rm(root, { recursive: true, force: true })
  }
}

/** Waits for the screen to say "result N ms after your save" and reads N back. */
async function savedResult(screen: () => string): Promise<number> {
  const giveUpAt = performance.now() + 30_000
  for (;;) {
    const match = /result ([\d.]+) (ms|s) after your save/.exec(screen())
    if (match) return Number(match[1]) * (match[2] === 's' ? 1000 : 1)
    if (performance.now() > giveUpAt) throw new Error(`watch mode never showed a result after a save; the screen:\n${screen()}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

console.log(bold(`Benchmark (node ${process.version})`))
console.log(`kata process start-up:           ${(await kataProcessStartup()).text}`)
await suiteFigures()
await watchFigures()
