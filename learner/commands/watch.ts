/** npm run watch: see learner/watch-session.ts. */
import { runCommand } from '../command.ts'
import { WatchSession } from '../watch-session.ts'

await runCommand(async () => {
  const session = await WatchSession.start()
  await session.finished
})
