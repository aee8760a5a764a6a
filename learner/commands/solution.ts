/**
 * npm run solution -- 03: the reference solution beside the learner's own, and only once the kata
 * passes: it is there to compare, not to copy.
 */
import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { bold } from '../../harness/reporting/colors.ts'
import { implementationRoot, solutionsDir, typedFrom } from '../../harness/paths.ts'
import { kataState } from '../../harness/reporting/progress.ts'
import { runCommand } from '../command.ts'
import { kataFromArgument } from '../kata-arg.ts'
import { KataRunner } from '../kata-runner.ts'
import { sideBySide, stacked } from '../views.ts'

const SIDE_BY_SIDE_MIN_COLUMNS = 150

await runCommand(async () => {
  const kata = kataFromArgument(process.argv[2], 'solution')
  const runner = await KataRunner.start()
  const [run] = await runner.run([kata]).finally(() => runner.close())
  const state = run ? kataState(run) : undefined
  if (state?.kind !== 'done') {
    const where = state?.kind === 'in-progress' ? `${state.passing} of ${state.total} tests pass so far` : 'it does not pass yet'
    console.log(
      `The reference solution of ${kata.folder} opens once your own passes; ${where}.\n` +
        `Keep going: npm test -- ${kata.number}, or a hint: npm run hint -- ${kata.number}`,
    )
    return 1
  }
  const cwd = typedFrom()
  const mine = join(implementationRoot(), kata.folder, kata.implementationFile)
  const reference = join(solutionsDir, kata.folder, kata.implementationFile)
  const yours = { heading: `Yours (${relative(cwd, mine)})`, text: await readFile(mine, 'utf8') }
  const theirs = { heading: `Reference (${relative(cwd, reference)})`, text: await readFile(reference, 'utf8') }
  const columns = process.stdout.isTTY ? process.stdout.columns : 0
  console.log(bold(`${kata.folder} passes. Here is the reference solution beside yours:\n`))
  console.log(columns >= SIDE_BY_SIDE_MIN_COLUMNS ? sideBySide(yours, theirs, Math.floor((columns - 3) / 2)) : stacked(yours, theirs))
  return 0
})
