/** npm run watch: see learner/watch-session.ts. */
import { runCommand } from '../command.ts'
import { WatchSession } from '../watch-session.ts'

await runCommand(async () => {
  const session = await WatchSession.start()
  await session.finished
})
process.exit() // a test worker a cancelled run left behind must not keep the learner waiting
