/**
 * An error of the harness's own, never a value the code under test produced: a wait that ran out, a
 * kata process that crashed or was stuck, a function that threw instead of returning. Helpers that
 * turn a call's end into a value (outcome()) let these through, so they fail the test as they are.
 */
export class HarnessError extends Error {}

export function isHarnessError(error: unknown): error is HarnessError {
  return error instanceof HarnessError
}
