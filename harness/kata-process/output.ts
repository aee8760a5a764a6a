/**
 * What the kata process prints (console.log, stdout, stderr), kept per test and capped. To know that
 * a test's output is all there, the test asks the kata process to write a mark on both streams after
 * everything it printed, and waits until both marks arrive.
 */
import type { Readable } from 'node:stream'

/** How much of one test's output is kept; the rest is counted and dropped, however much is printed. */
const CAP = 16 * 1024

export class OutputCapture {
  private kept = ''
  private dropped = 0
  private readonly pending = new Map<Readable, string>()
  private readonly waiting = new Map<string, { streams: Set<Readable>; done: () => void }>()

  constructor(private readonly streams: Readable[]) {
    for (const stream of streams) {
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => this.add(stream, chunk))
    }
  }

  /** Resolves once `mark` has arrived on every stream: all printed before it is kept by then. */
  markArrived(mark: string): Promise<void> {
    return new Promise((resolve) => {
      const streams = new Set(this.streams)
      this.waiting.set(mark, { streams, done: resolve })
      for (const stream of this.streams) this.add(stream, '') // the mark may be here already
    })
  }

  /** The last `lines` lines kept so far, without taking them. */
  tail(lines: number): string {
    return [this.kept, ...this.pending.values()].join('').trim().split('\n').slice(-lines).join('\n')
  }

  /** The output since the last take, with a note of how much was cut. */
  take(): string {
    for (const [stream, text] of this.pending) {
      this.keep(text)
      this.pending.set(stream, '')
    }
    const text = this.dropped > 0 ? `${this.kept}\n[… ${this.dropped} more characters cut]` : this.kept
    this.kept = ''
    this.dropped = 0
    return text
  }

  private add(stream: Readable, chunk: string): void {
    let text = (this.pending.get(stream) ?? '') + chunk
    for (const [mark, waiter] of this.waiting) {
      const at = text.indexOf(mark)
      if (at < 0 || !waiter.streams.has(stream)) continue
      this.keep(text.slice(0, at))
      text = text.slice(at + mark.length)
      waiter.streams.delete(stream)
      if (waiter.streams.size === 0) {
        this.waiting.delete(mark)
        waiter.done()
      }
    }
    // Hold back only what could be the start of a mark still on its way; keep the rest now.
    const holdFrom = this.waiting.size > 0 ? Math.max(0, text.length - 64) : text.length
    this.keep(text.slice(0, holdFrom))
    this.pending.set(stream, text.slice(holdFrom))
  }

  private keep(text: string): void {
    const room = CAP - this.kept.length
    this.kept += text.slice(0, Math.max(0, room))
    this.dropped += Math.max(0, text.length - room)
  }
}
