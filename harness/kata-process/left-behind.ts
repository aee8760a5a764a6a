/** What a learner's function leaves on the object it resolves with, that is the caller's from then on. */
import { expect } from 'vitest'
import type { RemoteServer } from './remote.ts'

/**
 * Fails the test if the server still had an 'error' listener when `fn()` resolved. One left behind
 * swallows the server's next error (a once() listener) or every one (on()), which from then on are the caller's to handle.
 */
export function expectNoErrorListenerLeft(fn: string, server: RemoteServer): void {
  const left = server.facts.listeners.error ?? 0
  expect(
    left,
    `when ${fn}() resolved, the server still had ${left} 'error' listener(s): one left behind swallows the server's ` +
      "next error (a once() listener) or every one (on()), which from then on are the caller's to handle. Remove yours (server.off) once listening",
  ).toBe(0)
}
