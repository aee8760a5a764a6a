/**
 * npm run hint -- 03: the next hint of a kata, one at a time; how many were shown is remembered.
 * With no kata named, the hint is for the kata in hand: the first one not passing yet.
 */
import { dim } from '../../harness/reporting/colors.ts'
import type { Kata } from '../../harness/katas.ts'
import { hasWorkLeft, kataState } from '../../harness/reporting/progress.ts'
import { runCommand } from '../command.ts'
import { NO_HINTS_LEFT, revealNextHint } from '../hints.ts'
import { kataFromArgument } from '../kata-arg.ts'
import { KataRunner } from '../kata-runner.ts'

await runCommand(async () => {
  const kata = process.argv[2] ? kataFromArgument(process.argv[2], 'hint') : await firstUnfinishedKata()
  console.log(kata ? await revealNextHint(kata) : NO_HINTS_LEFT)
})

async function firstUnfinishedKata(): Promise<Kata | undefined> {
  console.log(dim('No kata named: running them all to find the first one not passing yet…'))
  const runner = await KataRunner.start()
  try {
    return (await runner.run()).find((run) => hasWorkLeft(kataState(run)))?.kata
  } finally {
    await runner.close()
  }
}
