/**
 * npm run watch: the current kata (the first one not yet passing) runs again on every save, with its
 * result and the overall progress on screen; when it passes, the next kata becomes current by
 * itself. A run in flight shows as a line under the header, with the time since the save. Single
 * keys: n next failure, h hint, l list, a run all, r run again, q quit. On a terminal the screen
 * fits its width (lines wrap between words) and its height (the report is cut, the header stays).
 */
import { watch, type FSWatcher } from 'chokidar'
import { existsSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { bold, dim, fileLink, green, yellow } from '../harness/reporting/colors.ts'
import { failingTests, formatKataReport } from '../harness/reporting/kata-report.ts'
import { cutToWidth, wrapToWidth } from '../harness/reporting/terminal-text.ts'
import { listKatas, type Kata } from '../harness/katas.ts'
import { parseTestDescriptions, readLesson } from '../harness/reporting/lessons.ts'
import { implementationRoot, testsRoot, typedFrom } from '../harness/paths.ts'
import { hasWorkLeft, kataState, progressSummary, type KataRun } from '../harness/reporting/progress.ts'
import { formatDuration, sleep } from '../harness/lifecycle/within.ts'
import { NO_HINTS_LEFT, revealNextHint } from './hints.ts'
import { KataRunner } from './kata-runner.ts'

const SAVE_SETTLE_MS = 40
/** How long quitting waits for a run it cancelled, and then for Vitest to close. */
const STOP_MS = 1000
/** How often the running line's clock moves on. */
const TICK_MS = 150
/** The running line's row: the one under the header. */
const ACTIVITY_ROW = 2

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
  /** Which failing test of the current kata is explained in full (the n key moves on). */
  private failureIndex = 0
  /** What is running, and since when (the save that started it, or the key). */
  private activity: { what: string; since: number; fromSave: boolean } | undefined
  private ticker: NodeJS.Timeout | undefined
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
    const clear = io.output.isTTY ? '\x1b[2J\x1b[H' : '' // the running line is drawn on the screen's second row
    io.output.write(`${clear}${dim('Starting: running every kata to find where you are…')}\n`)
    const session = new WatchSession(await KataRunner.start(), io)
    session.listenToKeys() // q quits during the first run too, however long its katas take
    if (session.terminal) io.output.on('resize', () => void session.render())
    await session.watchFiles() // before the first run: a save made while it runs is seen, and runs next
    if (!session.stopped) session.queue(() => session.runAll())
    await session.running
    return session
  }

  private get terminal(): boolean {
    return this.io.output.isTTY === true
  }

  private async runAll(): Promise<void> {
    const started = performance.now()
    this.showActivity('every kata', started)
    for (const run of await this.runner.run()) this.results.set(run.kata.folder, run)
    this.current = this.firstUnfinished()
    this.failureIndex = 0
    this.status = `ran every kata in ${formatDuration(performance.now() - started)}`
    await this.render({ done: true })
  }

  private firstUnfinished(): Kata | undefined {
    return this.katas.find((kata) => {
      const run = this.results.get(kata.folder)
      return !run || hasWorkLeft(kataState(run))
    })
  }

  /** Runs the current kata again; when it now passes, moves on to the next one. */
  private async runCurrent(savedAt?: number): Promise<void> {
    const kata = this.current
    if (!kata) return this.runAll()
    const started = performance.now()
    this.showActivity(kata.folder, savedAt ?? started, savedAt !== undefined)
    const [run] = await this.runner.run([kata])
    this.failureIndex = 0
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
    await this.render({ done: true })
  }

  /** The running line, on screen at once and kept up to date until the run's result replaces it. */
  private showActivity(what: string, since: number, fromSave = false): void {
    this.activity = { what, since, fromSave }
    if (!this.terminal) return void this.io.output.write(`${this.activityLine()}\n`)
    this.drawActivity()
    this.ticker ??= setInterval(() => this.drawActivity(), TICK_MS)
  }

  /** Only the running line is drawn again, in place, so the rest of the screen stays still. */
  private drawActivity(): void {
    if (this.stopped) return
    this.io.output.write(`\x1b7\x1b[${ACTIVITY_ROW};1H\x1b[2K${this.activityLine()}\x1b8`)
  }

  private activityLine(): string {
    if (!this.activity) return ''
    const { what, since, fromSave } = this.activity
    const elapsed = `${((performance.now() - since) / 1000).toFixed(1)} s`
    return yellow(`⟳ running ${what}… ${elapsed}${fromSave ? ' since your save' : ''}`)
  }

  private endActivity(): void {
    clearInterval(this.ticker)
    this.ticker = undefined
    this.activity = undefined
  }

  /** Work one after the other: a save during a run waits for it. */
  private queue(work: () => Promise<void>): void {
    this.running = this.running.then(work, work).catch((error: Error) => {
      this.status = `something went wrong: ${error.message}`
      return this.render({ done: true })
    })
  }

  /**
   * chokidar rather than fs.watch: Node 20's recursive fs.watch on Linux loses a file once an editor
   * saves it by writing a temporary file and renaming it over (JetBrains, gedit, sed -i), and every
   * later save goes unseen. chokidar watches the folder anew. `atomic` (100 ms) turns a file that
   * disappears and comes back within 100 ms into one change, so a rename-save runs once and a real
   * delete is told apart; `awaitWriteFinish` stays off, since its polling would hold every result back
   * for small files that are written whole, and a save caught half-written is followed by the event
   * of its end (SAVE_SETTLE_MS gathers such bursts into one run).
   * Resolves once the watcher has read the folder: from then on, every save is seen.
   */
  private watchFiles(): Promise<void> {
    const root = implementationRoot()
    this.watcher = watch(root, {
      ignoreInitial: true,
      atomic: 100,
      awaitWriteFinish: false,
      ignored: (path, stats) => relative(root, path).split(sep).some((part) => part.startsWith('.')) || (stats?.isFile() === true && !/\.(ts|js|mjs)$/.test(path)),
    })
    this.watcher.on('all', (event, path) => {
      if (!/\.(ts|js|mjs)$/.test(path)) return
      const savedAt = performance.now()
      const saved = this.katas.find((kata) => relative(root, path).split(sep)[0] === kata.folder)
      clearTimeout(this.saveTimer)
      if (saved) this.current = saved // the kata whose file was saved is the one to run, even one already done
      if (event === 'unlink' && saved && !existsSync(this.implementationOf(saved))) return void this.queue(() => this.showMissing(saved))
      this.showActivity(this.current?.folder ?? 'every kata', savedAt, true)
      this.saveTimer = setTimeout(() => {
        this.panel = ''
        this.queue(() => this.runCurrent(savedAt))
      }, SAVE_SETTLE_MS)
    })
    return Promise.race([new Promise<void>((resolve) => this.watcher!.once('ready', resolve)), this.finished]) // q may come first
  }

  /** A kata file deleted (or moved away): nothing to run until it is back, which the watcher will see. */
  private async showMissing(kata: Kata): Promise<void> {
    const file = relative(this.cwd, this.implementationOf(kata))
    this.panel = yellow(`${file} is gone. Watching for it to come back (npm run reset -- ${kata.number} puts the stub back).`)
    await this.render({ done: true })
  }

  private implementationOf(kata: Kata): string {
    return join(implementationRoot(), kata.folder, kata.implementationFile)
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
    if (key.toLowerCase() === 'n') return this.showNextFailure()
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

  /** Straight away, even during a run: it only shows more of the result already on screen. */
  private showNextFailure(): void {
    const run = this.current && this.results.get(this.current.folder)
    if (!run || kataState(run).kind !== 'in-progress' || failingTests(run).length < 2) return
    this.failureIndex = (this.failureIndex + 1) % failingTests(run).length
    void this.render()
  }

  private async showHint(): Promise<void> {
    this.panel = this.current ? await revealNextHint(this.current, 'Press h') : NO_HINTS_LEFT
    await this.render()
  }

  private async showList(): Promise<void> {
    const runs = this.katas.map((kata) => this.results.get(kata.folder)).filter((run) => run !== undefined)
    this.panel = progressSummary(runs)
    await this.render()
  }

  /** The whole screen; `done` when a run (or the wait for a missing file) has ended, which takes the running line away. */
  private async render({ done = false } = {}): Promise<void> {
    if (done) this.endActivity()
    const width = this.terminal ? this.io.output.columns : undefined
    const fitWidth = (text: string) => (width ? wrapToWidth(text, width) : text)
    const top = [width ? cutToWidth(this.header(), width) : this.header(), this.activityLine()]
    const bottom = ['', fitWidth(`${progressBar(this.doneCount(), this.katas.length)}  ${dim(this.status)}`), fitWidth(dim(this.keysLine()))].join('\n').split('\n')
    const rows = this.terminal ? this.io.output.rows : undefined
    const body = async (fit: Fit) => [...(this.panel ? [fitWidth(this.panel), ''] : []), await this.report(width, fit)].join('\n').split('\n')
    const room = rows ? rows - top.length - bottom.length : Infinity
    // A short screen: the tests as one line each, then as counts, so that the explanation keeps the room; then it is cut.
    let lines = await body({})
    if (lines.length > room) lines = await body({ compact: true })
    if (lines.length > room) lines = this.cutToRows(await body({ tight: true }), room)
    const screen = [...top, ...lines, ...bottom].join('\n')
    // On a terminal the screen is drawn from its top, and the last line ends without a newline, so a full screen never scrolls.
    this.io.output.write(this.terminal ? `\x1b[2J\x1b[H${screen}` : `\n${screen}\n`)
  }

  private header(): string {
    if (!this.current) return bold('socket-katas · every kata passes. Well done.')
    const code = this.implementationOf(this.current)
    return bold(`socket-katas · ${this.current.folder}`) + dim(` · watching ${fileLink(relative(this.cwd, code), code)}`)
  }

  private async report(width: number | undefined, fit: Fit): Promise<string> {
    const run = this.current && this.results.get(this.current.folder)
    if (!run) return ''
    const lesson = join(testsRoot(), run.kata.folder, 'README.md')
    const descriptions = parseTestDescriptions(await readLesson(testsRoot(), run.kata))
    return formatKataReport(run, { descriptions, lessonPath: relative(this.cwd, lesson), failureIndex: this.failureIndex, width, ...fit })
  }

  /** The report cut to the rows left, with a last line that says where the rest is. */
  private cutToRows(lines: string[], rows: number): string[] {
    if (lines.length <= rows) return lines
    const kept = lines.slice(0, Math.max(0, rows - 1))
    const more = `… ${lines.length - kept.length} more lines: npm test -- ${this.current?.number ?? ''} prints them all`
    return [...kept, dim(cutToWidth(more, this.io.output.columns))]
  }

  private keysLine(): string {
    const run = this.current && this.results.get(this.current.folder)
    const failures = run && kataState(run).kind === 'in-progress' ? failingTests(run).length : 0
    return `keys: ${failures > 1 ? 'n next failure · ' : ''}h hint · l list · a run all · r run again · q quit`
  }

  private doneCount(): number {
    return this.katas.filter((kata) => {
      const run = this.results.get(kata.folder)
      return run && kataState(run).kind === 'done'
    }).length
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.watcher?.close()
    clearTimeout(this.saveTimer)
    this.endActivity()
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

/** How much of the report to fold away to fit the screen (kata-report.ts). */
type Fit = { compact?: boolean; tight?: boolean }

function progressBar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / Math.max(1, total)) * width)
  return `${green('█'.repeat(filled))}${dim('░'.repeat(width - filled))} ${done} of ${total} katas done`
}
