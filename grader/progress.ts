/** Progress while grading: a bar with counts and time left on a terminal, one plain line per submission otherwise. */
import { formatDuration } from '../harness/lifecycle/within.ts'
import type { SubmissionGrade } from './grade-submission.ts'

export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
}

export class GradingProgress {
  private finished = 0
  private running = 0
  private readonly started = performance.now()
  private readonly terminal: boolean

  constructor(
    private readonly total: number,
    private readonly stream: ProgressStream = process.stderr,
  ) {
    this.terminal = stream.isTTY === true && !process.env.CI
  }

  begin(): void {
    this.running++
    this.draw()
  }

  end(grade: SubmissionGrade): void {
    this.running--
    this.finished++
    if (this.terminal) this.draw()
    else this.stream.write(`graded ${this.finished}/${this.total}: ${grade.submission}: ${grade.points}/${grade.maxPoints} (${formatDuration(grade.executionSeconds * 1000)})\n`)
  }

  done(): void {
    if (this.terminal) this.stream.write('\n')
  }

  private draw(): void {
    if (!this.terminal) return
    const width = 30
    const filled = Math.round((this.finished / Math.max(1, this.total)) * width)
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
    const elapsed = performance.now() - this.started
    const left = this.finished > 0 ? ` · about ${formatDuration((elapsed / this.finished) * (this.total - this.finished))} left` : ''
    this.stream.write(`\r\x1b[K${bar} ${this.finished}/${this.total} graded · ${this.running} running${left}`)
  }
}
