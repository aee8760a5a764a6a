/** A Vitest reporter that ends a kata run with the learner's progress (see progress.ts). */
import type { Reporter, TestCase, TestModule } from 'vitest/node'
import { kataOfTestFile, listKatas } from './katas.ts'
import { formatProgress, type KataRun, type TestOutcome } from './progress.ts'

export class ProgressReporter implements Reporter {
  constructor(private readonly paths: { implementationRoot: string; testsRoot: string }) {}

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, _errors: unknown, reason: string): void {
    if (reason === 'interrupted') return
    const runs = testModules
      .filter((module) => module.project.name === 'katas')
      .map(kataRunOf)
      .filter((run): run is KataRun => run !== undefined)
      .sort((a, b) => a.kata.folder.localeCompare(b.kata.folder))
    if (runs.length === 0) return
    const cwd = process.env.INIT_CWD ?? process.cwd()
    const totalKatas = listKatas(this.paths.testsRoot).length
    process.stdout.write(`\n${formatProgress(runs, { ...this.paths, cwd, totalKatas })}\n\n`)
  }
}

export function kataRunOf(module: TestModule): KataRun | undefined {
  const kata = kataOfTestFile(module.moduleId)
  if (!kata) return undefined
  const tests = [...module.children.allTests()].map(outcomeOf)
  const [loadError] = module.errors()
  return tests.length === 0 && loadError ? { kata, tests, loadError: loadError.message } : { kata, tests }
}

function outcomeOf(test: TestCase): TestOutcome {
  const result = test.result()
  if (result.state === 'failed') return { name: test.name, state: 'failed', message: result.errors[0]?.message }
  if (result.state === 'skipped') return { name: test.name, state: 'skipped', skipNote: result.note }
  return { name: test.name, state: result.state === 'passed' ? 'passed' : 'skipped' }
}
