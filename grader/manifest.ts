/**
 * Points per kata, from one manifest: grading.json in the tests folder, {"points": {"03-backlog": 15}}.
 * A kata the manifest does not name is worth 10.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

export const DEFAULT_KATA_POINTS = 10

export async function readPointsManifest(testsRoot: string): Promise<Map<string, number>> {
  const file = join(testsRoot, 'grading.json')
  const text = await readFile(file, 'utf8').catch(() => undefined)
  if (text === undefined) return new Map()
  const { points = {} } = JSON.parse(text) as { points?: Record<string, unknown> }
  for (const [kata, value] of Object.entries(points)) {
    if (typeof value !== 'number' || !(value >= 0)) throw new Error(`${file}: points for ${kata} must be a number >= 0, not ${JSON.stringify(value)}`)
  }
  return new Map(Object.entries(points as Record<string, number>))
}

/**
 * Splits a kata's points across its tests in hundredths, so the parts always add up to the whole:
 * 10 points over 3 tests is 3.34 + 3.33 + 3.33, never 9.99.
 */
export function splitPoints(points: number, tests: number): number[] {
  const hundredths = Math.round(points * 100)
  const base = Math.floor(hundredths / tests)
  const remainder = hundredths - base * tests
  return Array.from({ length: tests }, (_, i) => (base + (i < remainder ? 1 : 0)) / 100)
}

/** Adds point values that are whole hundredths without floating-point drift. */
export function sumPoints(values: number[]): number {
  return values.reduce((sum, value) => sum + Math.round(value * 100), 0) / 100
}
