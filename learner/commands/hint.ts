/** npm run hint -- 03: the next hint of a kata, one at a time; how many were shown is remembered. */
import { runCommand } from '../command.ts'
import { revealNextHint } from '../hints.ts'
import { kataFromArgument } from '../kata-arg.ts'

await runCommand(async () => {
  console.log(await revealNextHint(kataFromArgument(process.argv[2], 'hint')))
})
