/** How a call to the code under test ended, in words a failure message can quote. */
import dgram from 'node:dgram'
import net from 'node:net'
import { inspect } from 'node:util'
import { listeningState } from '../sockets/addresses.ts'
import { isHarnessError } from './harness-error.ts'
import { within, type Explainable } from './within.ts'

export type Outcome<T> = { resolved: true; value: T } | { resolved: false; error: NodeJS.ErrnoException }

/**
 * Waits (bounded) for `promise` and reports whether it resolved or rejected, without throwing. The
 * harness's own errors (a deadline, a crashed kata process, a function that threw instead of
 * returning a promise) are not an outcome of the call: they fail the test as they are.
 */
export function outcome<T>(ms: number, whatDidNotHappen: string, promise: PromiseLike<T> & Partial<Explainable>): Promise<Outcome<T>> {
  return within(ms, whatDidNotHappen, promise).then(
    (value) => ({ resolved: true, value }),
    (error: NodeJS.ErrnoException) => {
      if (isHarnessError(error)) throw error
      return { resolved: false, error }
    },
  )
}

/** "resolved with a server listening on 127.0.0.1:5000", "rejected with EADDRINUSE (listen EADDRINUSE ...)". */
export function describeOutcome(result: Outcome<unknown>): string {
  if (result.resolved) return `resolved with ${describeValue(result.value)}`
  const { code, message } = result.error ?? {}
  return code ? `rejected with ${code} (${message})` : `rejected with an error that has no code: ${inspect(result.error)}`
}

/** A value as a sentence can quote it; objects from the kata process describe themselves (inspect.custom). */
export function describeValue(value: unknown): string {
  if (value instanceof net.Server) return `a server ${listeningState(value)}`
  if (value instanceof net.Socket) return value.destroyed ? 'a destroyed socket' : 'a socket'
  if (value instanceof dgram.Socket) return 'a UDP socket'
  return inspect(value, { depth: 1, breakLength: Infinity })
}
