/**
 * A learner at a terminal: runs a command in a pseudo-terminal (util-linux `script`, no native
 * add-on) so it sees a real TTY, types keys into it, and waits for what it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { DeadlineError } from '../../harness/lifecycle/within.ts'

export class Terminal {
  private screen = ''
  /** What was printed since the screen was last cleared, as printed. */
  private sinceClear = ''
  private readonly exited: Promise<number | null>

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString()
      this.screen += plain(text)
      const clear = text.lastIndexOf(CLEAR_SCREEN)
      this.sinceClear = clear < 0 ? this.sinceClear + text : text.slice(clear + CLEAR_SCREEN.length)
    })
    this.exited = new Promise((resolve) => child.once('exit', resolve))
  }

  /** Starts `command` (a shell command line) in `cwd`, in a terminal of 120 x 60 unless told. */
  static open(command: string, cwd: string, env: NodeJS.ProcessEnv = {}, size = { columns: 120, rows: 60 }): Terminal {
    const child = spawn('script', ['-qfec', `stty cols ${size.columns} rows ${size.rows}; ${command}`, '/dev/null'], {
      cwd,
      env: { ...process.env, ...env, TERM: 'xterm-256color' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    return new Terminal(child)
  }

  /** Everything printed so far, without colours, links or cursor movements (a line drawn again in place shows again). */
  get text(): string {
    return this.screen
  }

  /** The lines drawn since the screen was last cleared: the screen now, for a program that draws whole screens. */
  get lastScreen(): string[] {
    return plain(this.sinceClear).split('\n')
  }

  /** Waits until the output, from `after` on, contains `text`. */
  async waitFor(text: string | RegExp, ms = 20_000, after = 0): Promise<void> {
    const giveUpAt = performance.now() + ms
    const seen = () => {
      const part = this.screen.slice(after)
      return typeof text === 'string' ? part.includes(text) : text.test(part)
    }
    while (!seen()) {
      if (performance.now() > giveUpAt) throw new DeadlineError(`the terminal never showed ${text} within ${ms} ms; it showed:\n${this.screen.slice(-3000)}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  press(keys: string): void {
    this.child.stdin!.write(keys)
  }

  async exitCode(ms = 20_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }
}

const CLEAR_SCREEN = '\x1b[2J'

function plain(text: string): string {
  return text
    .replace(/\x1b\]8;;[^\x1b]*\x1b\\/g, '')
    .replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '')
    .replace(/\x1b[78]/g, '') // the cursor saved and restored around a line drawn in place
    .replace(/\r/g, '')
}
