/**
 * Runs around every kata test (Vitest `setupFiles`). After the test: the test's own sockets are
 * closed, then each kata process releases what the test owns there, and whatever the learner's code
 * still holds (sockets, as the kernel shows them; timers) fails the test, named. So does an error the
 * learner's code left unhandled, and one the test's own sockets met. What the learner's code printed
 * is kept with the test, for the report.
 */
import { afterAll, afterEach, beforeEach } from 'vitest'
import { beginTest, endTest } from '../kata-process/end-of-test.ts'
import { katasUnderTest } from '../kata-process/kata-under-test.ts'
import { kernelViewOf, portsOf } from '../kernel/kernel-view.ts'
import { closeEverythingOwned, closeEverythingOwnedByFile, ownedResources } from './cleanup.ts'
import { describeUnhandled, takeUnhandledErrors, watchUnhandledErrors } from './unhandled-errors.ts'

declare module 'vitest' {
  interface TaskMeta {
    /** The kernel's view of the test's sockets when it failed (kernel-view.ts). */
    kernelView?: string
    /** What the learner's code printed while the test ran (stdout and stderr, capped). */
    kataOutput?: string
  }
}

beforeEach(async () => {
  watchUnhandledErrors()
  takeUnhandledErrors()
  for (const kata of katasUnderTest()) await beginTest(kata)
})

afterEach(async (context) => {
  const katas = katasUnderTest()
  const failed = context.task.result?.state === 'fail'
  if (failed) {
    const owners = (await Promise.all(katas.map((kata) => kata.running()))).filter((process) => process?.alive).map((process) => process!.socketOwner)
    context.task.meta.kernelView = kernelViewOf(owners, portsOf([...ownedResources()]))
  }
  for (const kata of katas) await kata.thaw() // a frozen kata process can close nothing
  await closeEverythingOwned()
  const ends = await Promise.all(katas.map((kata) => endTest(kata, failed)))
  const output = ends.map((end) => end.output).join('')
  if (output) context.task.meta.kataOutput = output
  const problems = ends.flatMap((end) => end.problems)
  const unhandled = takeUnhandledErrors()
  if (unhandled.length > 0) problems.push(describeUnhandled(unhandled))
  if (problems.length > 0) throw new Error(problems.join('\n\n'))
})

afterAll(closeEverythingOwnedByFile)
