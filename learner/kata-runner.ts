/**
 * Runs kata tests inside this process through Vitest's API, keeping one Vitest alive between runs:
 * a re-run after a save costs the tests alone, not Vitest's start-up. Same config, same KATA_IMPL
 * switch as npm test.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createVitest, type Vitest } from 'vitest/node'
import { katasOf } from '../harness/reporting/kata-results.ts'
import { kataOfTestFile, type Kata } from '../harness/katas.ts'
import { implementationRoot, projectRoot, typedFrom } from '../harness/paths.ts'
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
    for (const spec of wanted) await this.forgetLearnerFiles(kataOfTestFile(spec.moduleId)!)
    const ran = new Set(wanted.map((spec) => spec.moduleId))
    const { testModules } = await this.vitest.runTestSpecifications(wanted)
    // Vitest answers with every module it has seen so far; keep the ones just run.
    return katasOf(testModules.filter((module) => ran.has(module.moduleId)), this.cwd)
  }

  /** Every file in the kata's folder under KATA_IMPL: the learner may have split their code. */
  private async forgetLearnerFiles(kata: Kata): Promise<void> {
    const folder = join(implementationRoot(), kata.folder)
    for (const file of await readdir(folder).catch(() => [])) this.vitest.invalidateFile(join(folder, file))
  }

  close(): Promise<void> {
    return this.vitest.close()
  }
}
