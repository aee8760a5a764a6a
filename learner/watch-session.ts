/**
 * npm run watch: the current kata (the first one not yet passing) runs again on every save, with its
 * result and the overall progress on screen; when it passes, the next kata becomes current by
 * itself. Single keys: h hint, l list, a run all, r run again, q quit.
 */
import { watch, type FSWatcher } from 'chokidar'
import { join, relative, sep } from 'node:path'
import { bold, dim, fileLink, green } from '../harness/reporting/colors.ts'
import { formatKataReport } from '../harness/reporting/kata-report.ts'
import { listKatas, type Kata } from '../harness/katas.ts'
import { parseTestDescriptions, readLesson } from '../harness/reporting/lessons.ts'
import { implementationRoot, testsRoot, typedFrom } from '../harness/paths.ts'
import { kataState, progressSummary, type KataRun } from '../harness/reporting/progress.ts'
import { formatDuration, sleep } from '../harness/lifecycle/within.ts'
import { revealNextHint } from './hints.ts'
import { KataRunner } from './kata-runner.ts'

const SAVE_SETTLE_MS = 40
/** How long quitting waits for a run it cancelled, and then for Vitest to close. */
const STOP_MS = 1000

export interface WatchIO {
  input: NodeJS.ReadStream
  output: NodeJS.WriteStream
}

export class WatchSession {
  private readonly katas = listKatas(testsRoot())
  private readonly results = new Map<string, KataRun>()
  private current: Kata | undefined
  /** A line or panel above the kata's result: a hint, the list, "03 passes". */
  private panel = ''
  private status = ''
  private running: Promise<void> = Promise.resolve()
  private saveTimer: NodeJS.Timeout | undefined
  private watcher: FSWatcher | undefined
  private stopped = false
  private readonly cwd = typedFrom()
  readonly finished: Promise<void>
  private finish = () => {}

  private constructor(
    private readonly runner: KataRunner,
    private readonly io: WatchIO,
  ) {
    this.finished = new Promise((resolve) => (this.finish = resolve))
  }

  static async start(io: WatchIO = { input: process.stdin, output: process.stdout }): Promise<WatchSession> {
    io.output.write(dim('Starting: running every kata to find where you are…\n'))
    const session = new WatchSession(await KataRunner.start(), io)
    session.listenToKeys() // q quits during the first run too, however long its katas take
    session.queue(() => session.runAll())
    await session.running
    if (!session.stopped) await session.watchFiles()
    return session
  }

  private get terminal(): boolean {
    return this.io.output.isTTY === true
  }

  private async runAll(): Promise<void> {
    const started = performance.now()
    for (const run of await this.runner.run()) this.results.set(run.kata.folder, run)
    this.current = this.firstUnfinished()
    this.status = `ran every kata in ${formatDuration(performance.now() - started)}`
    await this.render()
  }

  private firstUnfinished(): Kata | undefined {
    return this.katas.find((kata) => {
      const run = this.results.get(kata.folder)
      return !run || kataState(run).kind !== 'done'
    })
  }

  /** Runs the current kata again; when it now passes, moves on to the next one. */
  private async runCurrent(savedAt?: number): Promise<void> {
    const kata = this.current
    if (!kata) return this.runAll()
    const started = performance.now()
    const [run] = await this.runner.run([kata])
    if (run) this.results.set(kata.folder, run)
    const timing = `ran ${kata.folder} in ${formatDuration(performance.now() - started)}`
    if (run && kataState(run).kind === 'done') {
      this.current = this.firstUnfinished()
      this.panel = green(bold(`✔ ${kata.folder} passes.`)) + (this.current ? ` On to ${this.current.folder}.` : '')
      if (this.current) {
        const [next] = await this.runner.run([this.current])
        if (next) this.results.set(next.kata.folder, next)
      }
    }
    this.status = savedAt === undefined ? timing : `${timing}; result ${formatDuration(performance.now() - savedAt)} after your save`
    await this.render()
  }

  /** Work one after the other: a save during a run waits for it. */
  private queue(work: () => Promise<void>): void {
    this.running = this.running.then(work, work).catch((error: Error) => {
      this.status = `something went wrong: ${error.message}`
      return this.render()
    })
  }

  /**
   * chokidar rather than fs.watch: Node 20's recursive fs.watch on Linux loses a file once an editor
   * saves it by writing a temporary file and renaming it over (JetBrains, gedit, sed -i), and every
   * later save goes unseen. chokidar watches the folder anew, and reports a rename-save as unlink + add.
   * Resolves once the watcher has read the folder: from then on, every save is seen.
   */
  private watchFiles(): Promise<void> {
    const root = implementationRoot()
    this.watcher = watch(root, {
      ignoreInitial: true,
      ignored: (path, stats) => relative(root, path).split(sep).some((part) => part.startsWith('.')) || (stats?.isFile() === true && !/\.(ts|js|mjs)$/.test(path)),
    })
    this.watcher.on('all', (_event, path) => {
      if (!/\.(ts|js|mjs)$/.test(path)) return
      const file = relative(root, path)
      const savedAt = performance.now()
      const saved = this.katas.find((kata) => file.split(sep)[0] === kata.folder)
      clearTimeout(this.saveTimer)
      this.saveTimer = setTimeout(() => {
        this.panel = ''
        if (saved) this.current = saved // the kata whose file was saved is the one to run, even one already done
        this.queue(() => this.runCurrent(savedAt))
      }, SAVE_SETTLE_MS)
    })
    return new Promise((resolve) => this.watcher!.once('ready', resolve))
  }

  private listenToKeys(): void {
    const { input } = this.io
    if (input.isTTY) input.setRawMode(true)
    input.setEncoding('utf8')
    input.on('data', (keys: string) => {
      for (const key of keys) this.onKey(key)
    })
    input.resume()
  }

  private onKey(key: string): void {
    const actions: Record<string, () => Promise<void>> = {
      h: () => this.showHint(),
      l: () => this.showList(),
      a: () => this.runAll(),
      r: () => this.runCurrent(),
    }
    const lower = key.toLowerCase()
    if (lower === 'q' || key === '\u0003') void this.stop() // Ctrl-C arrives as a key in raw mode
    else if (actions[lower]) {
      this.panel = ''
      this.queue(actions[lower])
    }
  }

  private async showHint(): Promise<void> {
    if (!this.current) return
    this.panel = await revealNextHint(this.current)
    await this.render()
  }

  private async showList(): Promise<void> {
    const runs = this.katas.map((kata) => this.results.get(kata.folder)).filter((run) => run !== undefined)
    this.panel = progressSummary(runs)
    await this.render()
  }

  private async render(): Promise<void> {
    const screen: string[] = []
    const done = this.katas.filter((kata) => {
      const run = this.results.get(kata.folder)
      return run && kataState(run).kind === 'done'
    }).length
    if (this.current) {
      const code = join(implementationRoot(), this.current.folder, this.current.implementationFile)
      screen.push(bold(`socket-katas · ${this.current.folder}`) + dim(` · watching ${fileLink(relative(this.cwd, code), code)}`))
    } else screen.push(bold('socket-katas · every kata passes. Well done.'))
    if (this.panel) screen.push('', this.panel)
    const run = this.current && this.results.get(this.current.folder)
    if (run) {
      const lesson = join(testsRoot(), run.kata.folder, 'README.md')
      const descriptions = parseTestDescriptions(await readLesson(testsRoot(), run.kata))
      screen.push('', formatKataReport(run, { descriptions, lessonPath: relative(this.cwd, lesson) }))
    }
    screen.push('', `${progressBar(done, this.katas.length)}  ${dim(this.status)}`)
    screen.push(dim('keys: h hint · l list · a run all · r run again · q quit'))
    const clear = this.terminal ? '\x1b[2J\x1b[H' : '\n'
    this.io.output.write(`${clear}${screen.join('\n')}\n`)
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.watcher?.close()
    clearTimeout(this.saveTimer)
    if (this.io.input.isTTY) this.io.input.setRawMode(false)
    this.io.input.pause()
    // q quits now, even while a kata's tests wait out their bounds: the run is cancelled, and what is
    // left of it is not waited for long (its kata processes die with their test workers).
    await Promise.race([Promise.all([this.runner.cancel(), this.running.catch(() => {})]), sleep(STOP_MS)])
    await Promise.race([this.runner.close(), sleep(STOP_MS)])
    this.io.output.write('\nStopped watching.\n')
    this.finish()
  }
}

function progressBar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / Math.max(1, total)) * width)
  return `${green('█'.repeat(filled))}${dim('░'.repeat(width - filled))} ${done} of ${total} katas done`
}
