/**
 * Stryker's mutation testing, on the test process's side. Stryker's setup file keeps the active
 * mutant, the current test's id and the hit limit in a global namespace of the test worker, and reads
 * back the coverage and hit count the instrumented code records there. The instrumented code runs in
 * the kata process, so this carries the state there (runtime/stryker.ts) and the counts back.
 * Outside mutation testing there is no namespace, and all of this does nothing.
 */
import type { StrykerCoverage, StrykerState } from './protocol.ts'

const NAMESPACE = '__stryker__'

interface Namespace extends StrykerState {
  mutantCoverage?: NonNullable<StrykerCoverage['mutantCoverage']>
  hitCount?: number
}

function namespace(): Namespace | undefined {
  return (globalThis as unknown as Record<string, Namespace | undefined>)[NAMESPACE]
}

/** For a new kata process: a mutant switched on as the module loads (Stryker's "static" mutants) needs it from the start. */
export function strykerEnvironment(): Record<string, string> {
  const activeMutant = namespace()?.activeMutant
  return activeMutant === undefined ? {} : { __STRYKER_ACTIVE_MUTANT__: String(activeMutant) }
}

export function strykerState(): StrykerState | undefined {
  const ns = namespace()
  if (!ns) return undefined
  return { activeMutant: ns.activeMutant === undefined ? undefined : String(ns.activeMutant), currentTestId: ns.currentTestId, hitLimit: ns.hitLimit }
}

/** Adds what the kata process's instrumented code recorded to the test worker's counts, where Stryker reads them. */
export function addStrykerCoverage(coverage: StrykerCoverage | undefined): void {
  const ns = namespace()
  if (!ns || !coverage) return
  if (coverage.hitCount) ns.hitCount = (ns.hitCount ?? 0) + coverage.hitCount
  if (!coverage.mutantCoverage) return
  const into = (ns.mutantCoverage ??= { static: {}, perTest: {} })
  addCounts(into.static, coverage.mutantCoverage.static)
  for (const [testId, counts] of Object.entries(coverage.mutantCoverage.perTest)) addCounts((into.perTest[testId] ??= {}), counts)
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [mutant, hits] of Object.entries(from)) into[mutant] = (into[mutant] ?? 0) + hits
}
