/**
 * Stryker's mutation testing, on the kata process's side. Stryker instruments solutions/ and switches
 * mutants through a global namespace that its setup file fills in the test worker; the learner's code
 * runs here, so the test process hands that state over at each test start, and takes back the
 * coverage and hit count the instrumented code recorded (see ../stryker-bridge.ts).
 */
import type { StrykerCoverage, StrykerState } from '../protocol.ts'

const NAMESPACE = '__stryker__'

interface Namespace extends StrykerState {
  mutantCoverage?: StrykerCoverage['mutantCoverage']
  hitCount?: number
}

function namespace(): Namespace {
  const global = globalThis as unknown as Record<string, Namespace | undefined>
  return (global[NAMESPACE] ??= {})
}

export function strykerTestStart(state: StrykerState | undefined): void {
  if (!state) return
  const ns = namespace()
  Object.assign(ns, { activeMutant: state.activeMutant, currentTestId: state.currentTestId, hitLimit: state.hitLimit })
  // The instrumented code counts hits only once the count is a number: without one, no hit limit ends a looping mutant.
  if (state.hitLimit !== undefined) ns.hitCount ??= 0
}

/** What the instrumented code recorded since the last call, handed over and reset; nothing outside mutation testing. */
export function strykerCoverage(): StrykerCoverage | undefined {
  const global = globalThis as unknown as Record<string, Namespace | undefined>
  const ns = global[NAMESPACE]
  if (!ns) return undefined
  const taken: StrykerCoverage = { mutantCoverage: structuredClone(ns.mutantCoverage), hitCount: ns.hitCount }
  // The instrumented code keeps a reference to the coverage object it first made: empty it in place.
  for (const counts of Object.values(ns.mutantCoverage ?? {})) for (const key of Object.keys(counts)) delete counts[key]
  ns.hitCount = 0
  return taken
}
