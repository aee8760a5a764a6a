/**
 * Runs around every kata test (Vitest `setupFiles`): after the test, closes what the test opened,
 * then fails the test for any socket the code under test left open and any error it left unhandled.
 */
import { afterEach, beforeEach } from 'vitest'
import { closeEverythingOwned, ownedResources } from './cleanup.ts'
import { kernelViewOf, portsOf } from '../kernel/kernel-view.ts'
import { describeOpenSocket, forceClose, openSockets, type OpenSocket } from '../open-sockets.ts'
import { describeUnhandled, takeUnhandledErrors, watchUnhandledErrors } from './unhandled-errors.ts'
import { sleep } from './within.ts'

declare module 'vitest' {
  interface TaskMeta {
    /** The kernel's view of the test's sockets when it failed (kernel-view.ts). */
    kernelView?: string
  }
}

/** A closed socket's handle lingers a few milliseconds; a leaked one stays. */
const LEAK_GRACE_MS = 500

let openBefore = new Set<OpenSocket>()

beforeEach(() => {
  watchUnhandledErrors()
  takeUnhandledErrors()
  openBefore = new Set(openSockets())
})

afterEach(async (context) => {
  const failed = context.task.result?.state === 'fail'
  if (failed) context.task.meta.kernelView = kernelViewOf(portsOf([...ownedResources(), ...newlyOpen(openBefore)]))
  await closeEverythingOwned()
  // After a failure, what is still open is usually the failed attempt itself: close it, report the cause only.
  const leaked = failed ? newlyOpen(openBefore) : await stillOpenAfterGrace(openBefore)
  const problems: string[] = []
  if (leaked.length > 0 && !failed) problems.push(describeLeaks(leaked))
  leaked.forEach(forceClose)
  const unhandled = takeUnhandledErrors()
  if (unhandled.length > 0) problems.unshift(describeUnhandled(unhandled))
  if (problems.length > 0) throw new Error(problems.join('\n\n'))
})

function newlyOpen(before: Set<OpenSocket>): OpenSocket[] {
  return openSockets().filter((socket) => !before.has(socket))
}

async function stillOpenAfterGrace(before: Set<OpenSocket>): Promise<OpenSocket[]> {
  const giveUpAt = performance.now() + LEAK_GRACE_MS
  let open = newlyOpen(before)
  while (open.length > 0 && performance.now() < giveUpAt) {
    await sleep(10)
    open = newlyOpen(before)
  }
  return open
}

function describeLeaks(leaked: OpenSocket[]): string {
  return [
    'Left open after the test ended, by the code under test:',
    ...leaked.map((socket) => `  - ${describeOpenSocket(socket)}`),
    'Close every socket you open (server.close(), socket.destroy(), udpSocket.close()), on failure too.',
  ].join('\n')
}
