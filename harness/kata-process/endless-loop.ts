/**
 * A call that never returns while the kata process burns a core is an endless loop in the learner's
 * code, and no wait will end it. Spotting that after half a second, rather than at the test's bound,
 * keeps a looping kata from costing the learner the full bound of every test, on every save.
 * A process only starved of CPU (a busy machine) uses little of it, and is left to the test's bound.
 */
import { formatDuration } from '../lifecycle/within.ts'
import { BUSY_SHARE } from './kata-errors.ts'
import { KataProcessError, type KataProcess } from './kata-process.ts'

const WINDOW_MS = 500
const CHECK_EVERY_MS = 125

/** Rejects with the reason once `process` is seen looping before `returned` resolves; `stop` ends the watch. */
export function endlessLoopWatch(process: KataProcess, label: string, returned: Promise<unknown>): { looping: Promise<never>; stop: () => void } {
  let timer: NodeJS.Timeout | undefined
  const stop = () => clearInterval(timer)
  const looping = new Promise<never>((_, reject) => {
    const samples: { at: number; cpu: number }[] = []
    timer = setInterval(() => {
      const cpu = process.cpuMs()
      if (cpu === undefined) return stop()
      const at = performance.now()
      samples.push({ at, cpu })
      const start = samples.find((sample) => at - sample.at <= WINDOW_MS + CHECK_EVERY_MS / 2)!
      if (at - start.at < WINDOW_MS - CHECK_EVERY_MS / 2) return
      const used = cpu - start.cpu
      if (used < (at - start.at) * BUSY_SHARE) return
      stop()
      process.stuck = true
      reject(
        new KataProcessError(
          `${label}() never returned: your code kept the CPU busy (${formatDuration(used)} of CPU in the last ${formatDuration(at - start.at)}), ` +
            'in an endless loop. A loop that waits for an event never sees it, since Node handles events only once your code returns',
        ),
      )
    }, CHECK_EVERY_MS)
  })
  looping.catch(() => {})
  void returned.then(stop, stop)
  return { looping, stop }
}
