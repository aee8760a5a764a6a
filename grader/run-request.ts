/** What every isolation mode is asked to do, and what it reports back. */
import type { RunRecord } from './events.ts'

export interface RunRequest {
  /** The staged kata files, laid out like katas/ (KATA_IMPL). */
  implementationDir: string
  /** Kata folders to run. */
  katas: string[]
  timeoutMs: number
  /**
   * Run every kata in one worker, one after another, without a fresh worker per kata: far cheaper,
   * but one kata's leftovers could reach another. Only a kata that passes everything there keeps that result.
   */
  shared?: boolean
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
export function vitestGradingArgs(vitestBin: string, reporter: string, request: RunRequest): string[] {
  const sharing = request.shared ? ['--no-isolate', '--maxWorkers=1'] : []
  const katas = request.katas.map((kata) => `${kata}/`)
  return [vitestBin, 'run', '--project', 'katas', '--configLoader', 'runner', '--no-cache', `--reporter=${reporter}`, ...sharing, ...katas]
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
