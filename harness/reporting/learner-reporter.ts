/**
 * The reporter behind `npm test`: each kata's result written for the learner (kata-report.ts), then
 * the progress summary and the kata to open next. Vitest's own reporters are a flag away
 * (npm test -- --reporter=default).
 */
import { join } from 'node:path'
import type { Reporter, TestModule } from 'vitest/node'
import { dim } from './colors.ts'
import { formatKataReport, shownPath } from './kata-report.ts'
import { katasOf } from './kata-results.ts'
import { listKatas } from '../katas.ts'
import { parseTestDescriptions, readLesson } from './lessons.ts'
import { testsRoot, typedFrom } from '../paths.ts'
import { progressSummary } from './progress.ts'

export default class LearnerReporter implements Reporter {
  private readonly cwd = typedFrom()
  private readonly terminal = process.stdout.isTTY === true

  onTestRunStart(specifications: ReadonlyArray<unknown>): void {
    if (this.terminal) process.stdout.write(dim(`Running ${specifications.length === 1 ? 'one kata' : `${specifications.length} katas`}…`))
  }

  async onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>, reason: string): Promise<void> {
    if (this.terminal) process.stdout.write('\r\x1b[K')
    if (reason === 'interrupted') return
    const runs = katasOf(testModules, this.cwd)
    const tests = testsRoot()
    const blocks = await Promise.all(
      runs.map(async (run) => {
        const descriptions = parseTestDescriptions(await readLesson(tests, run.kata))
        const lessonPath = shownPath(join(tests, run.kata.folder, 'README.md'), this.cwd)
        return formatKataReport(run, { descriptions, lessonPath, width: process.stdout.columns })
      }),
    )
    const stray = unhandledErrors.map((error) => `Vitest reported an error outside any test: ${(error as Error)?.message ?? String(error)}`)
    const progress = runs.length > 0 ? progressSummary(runs) : noKataRan(tests)
    process.stdout.write(`${joinBlocks([...blocks, ...stray])}\n\n${progress}\n`)
  }
}

/** Nothing matched what followed `npm test --`: the learner needs the names there are. */
function noKataRan(tests: string): string {
  const katas = listKatas(tests)
  const example = katas[2] ?? katas[0]
  return [
    'No kata ran: no kata matches what you asked for. The katas are:',
    ...katas.map((kata) => `  ${kata.folder}`),
    dim(`Run one with its number, folder or name (npm test -- ${example?.number} or npm test -- ${example?.slug}), or all with npm test.`),
  ].join('\n')
}

/** One-line results stay together; a result of several lines gets a blank line around it. */
function joinBlocks(blocks: string[]): string {
  return blocks.reduce((text, block, i) => {
    if (i === 0) return block
    const spacious = block.includes('\n') || blocks[i - 1]!.includes('\n')
    return `${text}${spacious ? '\n\n' : '\n'}${block}`
  }, '')
}
