/** What went wrong in the kata process, said to the learner: an unhandled error, a call that never ended. */
import { inspect } from 'node:util'
import { formatDuration } from '../lifecycle/within.ts'
import { RemoteError } from './remote.ts'

/**
 * A call that has not returned while its process used this share of one core, or more, of the time
 * waited is in an endless loop. If the learner's code is right, a call does microseconds of work
 * before it returns, even on a machine so busy that the process waits its turn the whole time. A loop
 * takes whatever share it is given: all of a core on an idle machine, a fifth of one with ten
 * processes wanting two cores.
 */
export const BUSY_SHARE = 0.1

/** "EADDRINUSE (listen EADDRINUSE: address already in use 127.0.0.1:5000)", or the value thrown. */
export function describeProblem(error: unknown): string {
  if (error instanceof RemoteError || error instanceof Error) {
    const { code } = error as NodeJS.ErrnoException
    return code ? `${code} (${error.message})` : `${error.name}: ${error.message}`
  }
  return inspect(error, { depth: 2, breakLength: Infinity })
}

export function describeUncaught(kind: 'exception' | 'rejection', error: unknown): string {
  const how =
    kind === 'rejection'
      ? 'a promise of your code was rejected and nothing handled the rejection'
      : "an 'error' event had no listener, or an exception nothing caught"
  return [
    `${describeProblem(error)} went unhandled in your code, so the kata process crashed, as any Node program would (${how}).`,
    "Give every socket an 'error' listener before it can fail, and settle your promise from it.",
    ...learnerFrames(error),
  ].join('\n')
}

/** The stack frames of the learner's own code, mapped to their .ts lines, for the report's "at ..." line. */
function learnerFrames(error: unknown): string[] {
  const stack = (error as Error | undefined)?.stack ?? ''
  return stack.split('\n').filter((line) => /^\s+at /.test(line) && !line.includes('node:') && !line.includes('/harness/')).slice(0, 3)
}

/** Why a call is still pending when its wait runs out, from whether it returned and the CPU the process used. */
export function whyStillPending(fn: string, returned: boolean, cpu: { usedMs: number; waitedMs: number } | undefined): { text: string; stuck: boolean } {
  const cpuText = cpu ? `${formatDuration(cpu.usedMs)} of CPU in ${formatDuration(cpu.waitedMs)}` : undefined
  const busy = cpu !== undefined && cpu.usedMs >= cpu.waitedMs * BUSY_SHARE
  if (!returned) {
    const why = busy
      ? `your code kept the CPU busy (${cpuText}): an endless loop? A loop that waits for an event never sees it, since Node handles events only once your code returns`
      : `the kata process was not busy${cpuText ? ` (${cpuText})` : ''}: is it blocked in a synchronous call (Atomics.wait, execSync, a sync read)?`
    return { text: `${fn}() never returned: ${why}`, stuck: true }
  }
  if (busy) return { text: `${fn}() returned, but then your code kept the CPU busy (${cpuText}): an endless loop in a callback?`, stuck: true }
  return { text: `${fn}() returned a promise that never settled; your code was idle, waiting for something that never happened`, stuck: false }
}

/**
 * Why an answer the test waited for (a pull from an async iterable) never came, when the process
 * was busy meanwhile: the learner's code in an endless loop holds the event loop, so nothing is answered.
 */
export function busyWhileWaited(cpu: { usedMs: number; waitedMs: number }): string | undefined {
  if (cpu.usedMs < cpu.waitedMs * BUSY_SHARE) return undefined
  return `your code kept the CPU busy (${formatDuration(cpu.usedMs)} of CPU in ${formatDuration(cpu.waitedMs)}): an endless loop? Node answers nothing, and handles no event, until your code returns`
}
