/** What every isolation mode is asked to do, and what it reports back. */
import type { RunRecord } from './events.ts'

export interface RunRequest {
  /** The staged kata files, laid out like katas/ (KATA_IMPL). */
  implementationDir: string
  /** Kata folders to run. */
  katas: string[]
  timeoutMs: number
}

export interface RunOutcome {
  record: RunRecord
  timedOut: boolean
  /** How the test process ended: its exit code, or the signal that killed it. */
  exit: { code: number | null; signal: string | null }
  /** The end of what the test process printed, for crash reasons. */
  outputTail: string
}

export interface Runner {
  /** "process (PID and network namespaces)", "docker (image socket-katas-grader)" */
  readonly description: string
  run(request: RunRequest): Promise<RunOutcome>
  close(): Promise<void>
}

/** Vitest's command line for a grading run: the kata project, the streaming reporter, nothing cached or coloured. */
export function vitestGradingArgs(vitestBin: string, reporter: string, katas: string[]): string[] {
  return [
    vitestBin,
    'run',
    '--project',
    'katas',
    '--configLoader',
    'runner',
    '--no-cache',
    `--reporter=${reporter}`,
    ...katas.map((kata) => `${kata}/`),
  ]
}

/** Keeps the last `limit` characters of a stream that may print megabytes. */
export class OutputTail {
  private text = ''
  constructor(private readonly limit = 16 * 1024) {}
  add(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit)
  }
  toString(): string {
    return this.text
  }
}
