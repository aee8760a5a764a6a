/** The frame of every learner command: its message on failure, in words, with exit code 1. */
import { red } from '../harness/reporting/colors.ts'

export async function runCommand(body: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await body()) ?? 0
  } catch (error) {
    console.error(red((error as Error).message))
    process.exitCode = 1
  }
}
