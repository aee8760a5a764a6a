/** What a learner's function leaves on the object it resolves with, that is the caller's from then on. */
import { expect } from 'vitest'
import type { RemoteServer } from './remote.ts'

/**
 * Fails the test if the server still had an 'error' listener when `fn()` resolved. One left behind
 * swallows every later error of the server, which from then on is the caller's to handle.
 */
export function expectNoErrorListenerLeft(fn: string, server: RemoteServer): void {
  const left = server.facts.listeners.error ?? 0
  expect(
    left,
    `when ${fn}() resolved, the server still had ${left} 'error' listener(s): one left behind swallows every later ` +
      "error of the server, which from then on is the caller's to handle. Remove yours (server.off) once listening",
  ).toBe(0)
}
