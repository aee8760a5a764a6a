import type { EventEmitter } from 'node:events'
import { HarnessError } from './harness-error.ts'

/** A wait that ran out: its message says what never happened. */
export class DeadlineError extends HarnessError {
  override name = 'DeadlineError'
}

/** A promise that can say why it is still pending when a wait for it runs out (a call into the kata process). */
export interface Explainable {
  explainTimeout(waitedMs: number): string | undefined
}

/** "2 s", "300 ms", "1.5 s": how the tests talk about time. */
export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${Math.round(ms)} ms`
}

/**
 * Settles like `promise`, or rejects after `ms` with "<whatDidNotHappen> within <ms>", and why, when
 * the promise can tell (see Explainable). Write `whatDidNotHappen` as the sentence a learner should
 * read, e.g. "the server never emitted 'listening'".
 */
export function within<T>(ms: number, whatDidNotHappen: string, promise: PromiseLike<T> & Partial<Explainable>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const why = promise.explainTimeout?.(ms)
      reject(new DeadlineError(`${whatDidNotHappen} within ${formatDuration(ms)}${why ? `: ${why}` : ''}`))
    }, ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/** The first `event` from `emitter` (its arguments), bounded; an 'error' event rejects instead. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  ms: number,
  whatDidNotHappen: string,
): Promise<T> {
  let cleanup = () => {}
  const happened = new Promise<T>((resolve, reject) => {
    const onEvent = (...args: unknown[]) => resolve(args as T)
    const onError = (error: Error) => reject(error)
    emitter.once(event, onEvent)
    if (event !== 'error') emitter.once('error', onError)
    cleanup = () => {
      emitter.off(event, onEvent)
      emitter.off('error', onError)
    }
  })
  return within(ms, whatDidNotHappen, happened).finally(cleanup)
}

/** Resolves once `condition()` is true, checking every `everyMs`; rejects after `ms`. */
export async function until(
  ms: number,
  whatDidNotHappen: string,
  condition: () => boolean | Promise<boolean>,
  everyMs = 5,
): Promise<void> {
  const giveUpAt = performance.now() + ms
  for (;;) {
    if (await condition()) return
    if (performance.now() >= giveUpAt) throw new DeadlineError(`${whatDidNotHappen} within ${formatDuration(ms)}`)
    await sleep(everyMs)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
