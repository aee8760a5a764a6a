/**
 * Test doubles: what a contract takes that cannot cross the channel, made in the kata process for the
 * test (a transform callback for kata 08, a source of chunks for kata 10, a name lookup for kata 13, listeners' logs and a port collider for kata 12). A function or an iterator
 * must live where the learner's code calls it; so the test names a double, the kata process makes it
 * here, and the test steers it and reads its record with `control` messages (KataUnderTest.testDouble).
 * A double only records and obeys: the verdict still comes from the kernel and the wire.
 *
 * To add one: a factory in a module of this folder, listed in FACTORIES under a name.
 */
import { chunkSourceDoubles } from './chunk-source.ts'
import { exampleDoubles } from './example.ts'
import { listenerDoubles } from './listeners.ts'
import { lookupDoubles } from './lookup.ts'
import { transformDoubles } from './transform.ts'

export interface TestDouble {
  /** What the learner's code is given: a function, an iterable... */
  value: object
  /** The test's commands ('report' at least: what the double saw, as plain JSON values). */
  control(command: string, args: unknown[]): unknown
  /** Undoes what is still pending once the test ends (a held promise, say), so that nothing outlives it. */
  dispose?(): void
}

export type TestDoubleFactory = (options: Record<string, unknown>) => TestDouble

const FACTORIES: Record<string, TestDoubleFactory> = {
  ...exampleDoubles,
  ...chunkSourceDoubles,
  ...transformDoubles,
  ...listenerDoubles,
  ...lookupDoubles,
}

const doubles = new WeakMap<object, TestDouble>()

/** Makes the double `name` and returns the value the learner's code is to be given. */
export function makeTestDouble(name: string, options: Record<string, unknown>): object {
  const factory = FACTORIES[name]
  if (!factory) throw new Error(`no test double named ${name} (the doubles: ${Object.keys(FACTORIES).join(', ')})`)
  const double = factory(options)
  doubles.set(double.value, double)
  return double.value
}

export function controlTestDouble(value: object, command: string, args: unknown[]): unknown {
  const double = doubles.get(value)
  if (!double) throw new Error('that object is not a test double')
  return double.control(command, args)
}

export function disposeTestDouble(value: object): void {
  doubles.get(value)?.dispose?.()
}
