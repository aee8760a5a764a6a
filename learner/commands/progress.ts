/** npm run progress: every kata with its state (done, tests passing of total, not started) and the next one to open. */
import { dim } from '../../harness/reporting/colors.ts'
import { progressSummary } from '../../harness/reporting/progress.ts'
import { runCommand } from '../command.ts'
import { KataRunner } from '../kata-runner.ts'

await runCommand(async () => {
  if (process.stdout.isTTY) process.stdout.write(dim('Running every kata…'))
  const runner = await KataRunner.start()
  try {
    const runs = await runner.run()
    if (process.stdout.isTTY) process.stdout.write('\r\x1b[K')
    console.log(progressSummary(runs))
  } finally {
    await runner.close()
  }
})
