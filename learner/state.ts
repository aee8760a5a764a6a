/** What the learner tools remember between runs, in .socket-katas/ (git-ignored): hints shown so far. */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { projectRoot } from '../harness/paths.ts'

export const stateDir = join(projectRoot, '.socket-katas')
const stateFile = join(stateDir, 'state.json')

interface LearnerState {
  /** How many hints of each kata have been shown. */
  hintsShown: Record<string, number>
}

export async function readState(): Promise<LearnerState> {
  const text = await readFile(stateFile, 'utf8').catch(() => undefined)
  const parsed = text ? (JSON.parse(text) as Partial<LearnerState>) : {}
  return { hintsShown: parsed.hintsShown ?? {} }
}

export async function writeState(state: LearnerState): Promise<void> {
  await mkdir(stateDir, { recursive: true })
  await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`)
}
