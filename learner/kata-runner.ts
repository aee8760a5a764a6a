/**
 * Runs kata tests inside this process through Vitest's API, keeping one Vitest alive between runs:
 * a re-run after a save costs the tests alone, not Vitest's start-up. Same config, same KATA_IMPL
 * switch as npm test. The learner's files need no reloading here: each run's kata processes bundle
 * them afresh.
 */
import { createVitest, type Vitest } from 'vitest/node'
import { katasOf } from '../harness/reporting/kata-results.ts'
import { kataOfTestFile, type Kata } from '../harness/katas.ts'
import { projectRoot, typedFrom } from '../harness/paths.ts'
import type { KataRun } from '../harness/reporting/progress.ts'

export class KataRunner {
  private constructor(
    private readonly vitest: Vitest,
    private readonly cwd: string,
  ) {}

  static async start(cwd = typedFrom()): Promise<KataRunner> {
    const silent = {}
    const vitest = await createVitest('test', { watch: false, project: ['katas'], configLoader: 'runner', reporters: [silent], root: projectRoot })
    return new KataRunner(vitest, cwd)
  }

  /** Runs the given katas (all when none are given), reading the learner's files afresh. */
  async run(katas?: Kata[]): Promise<KataRun[]> {
    const all = await this.vitest.globTestSpecifications()
    const wanted = katas ? all.filter((spec) => katas.some((kata) => kataOfTestFile(spec.moduleId)?.folder === kata.folder)) : all
    const ran = new Set(wanted.map((spec) => spec.moduleId))
    const { testModules } = await this.vitest.runTestSpecifications(wanted)
    // Vitest answers with every module it has seen so far; keep the ones just run.
    return katasOf(testModules.filter((module) => ran.has(module.moduleId)), this.cwd)
  }

  /** Ends the run in progress, if any (its kata processes die with their test workers). */
  cancel(): Promise<void> {
    return this.vitest.cancelCurrentRun('keyboard-input')
  }

  close(): Promise<void> {
    return this.vitest.close()
  }
}
