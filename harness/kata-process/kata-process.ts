/**
 * The kata process, seen from the test process: a child Node process that runs the learner's code
 * and answers over the IPC channel (runtime/ is its side). Started with nothing of the test process's
 * environment; where the grader asks for it, as an identity of its own (see identities.ts),
 * so that it cannot read the test process's memory or files. On Linux it dies with its parent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { HarnessError } from '../lifecycle/harness-error.ts'
import type { Explainable } from '../lifecycle/within.ts'
import { socketInodesOf, socketsOwnedBy, type KernelSocket, type Protocol, type SocketOwner } from '../kernel/proc-net.ts'
import { busyWhileWaited, describeProblem, describeUncaught } from './kata-errors.ts'
import { OutputCapture } from './output.ts'
import { decode, encodeArgument, RemoteError, type HandleHost } from './remote.ts'
import { addStrykerCoverage } from './stryker-bridge.ts'
import { killProcessesOf } from './user-processes.ts'
import type { CreateRequest, Encoded, FromKata, Leftover, Observed, StrykerCoverage, StrykerState, ToKata } from './protocol.ts'

/** Started by `node -e`: it compiles the runtime the test process sends, which takes over the channel. */
const BOOT = `
const { Module } = require('node:module')
process.once('message', ({ file, code }) => {
  const runtime = new Module(file)
  runtime.filename = file
  runtime._compile(code, file)
})
`

/** Environment variables the kata process may see: nothing of the instructor's or the test runner's. */
const PASSED_ON = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'TERM', 'NO_COLOR', 'FORCE_COLOR']

export interface KataProcessOptions {
  /** Run as this user and group (needs root): the kata process cannot read the test process then. */
  identity?: { uid: number; gid: number }
  /** Extra environment (Stryker's active mutant). */
  env?: Record<string, string>
}

export type CallSettlement =
  | { kind: 'resolved'; value: unknown; elapsedMs: number; observed: Observed }
  | { kind: 'rejected'; error: unknown; elapsedMs: number; observed: Observed }

interface PendingRequest {
  resolve(message: FromKata): void
  reject(error: Error): void
}

/** The kata process failed the call: it crashed, was ended, or never answered. */
export class KataProcessError extends HarnessError {
  override name = 'KataProcessError'
}

export class KataProcess implements HandleHost {
  private readonly child: ChildProcess
  private readonly pending = new Map<number, PendingRequest>()
  private readonly output: OutputCapture
  private nextId = 1
  private exitInfo: { code: number | null; signal: string | null } | undefined
  /** The unhandled error that ended the process, told to the learner once. */
  private uncaught: { kind: 'exception' | 'rejection'; error: unknown } | undefined
  private frozen = false
  /** Set when a call found the process stuck in the learner's code: it is killed at the end of the test. */
  stuck = false
  readonly ready: Promise<void>
  readonly exited: Promise<void>

  /** Node starts while the runtime is still being bundled: it is sent once both are ready. */
  constructor(runtime: Promise<{ file: string; code: string }>, private readonly options: KataProcessOptions = {}) {
    const [command, ...args] = launchCommand(options.identity)
    this.child = spawn(command!, args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: kataEnvironment(options.env),
      cwd: options.identity ? '/' : process.cwd(),
      ...(options.identity && !hasSetpriv() ? options.identity : {}),
    })
    this.output = new OutputCapture([this.child.stdout!, this.child.stderr!])
    const exit = new Promise<void>((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal }
        resolve()
      }),
    )
    // The channel's last messages (an unhandled error's report) may still be on their way when 'exit' comes.
    const disconnected = new Promise<void>((resolve) => (this.child.connected ? this.child.once('disconnect', resolve) : resolve()))
    this.exited = Promise.all([exit, disconnected]).then(() => {
      if (options.identity) killProcessesOf(options.identity.uid)
      this.failPending()
    })
    this.child.on('error', () => {}) // a failed spawn ends in 'exit' too
    this.child.on('message', (message: FromKata) => this.receive(message))
    this.ready = new Promise((resolve, reject) => {
      let started = false
      this.waitForReady = () => {
        started = true
        this.channelInodes = socketInodesOf(this.pid) ?? new Set()
        resolve()
      }
      // Only a start that failed takes the reason: a later end's is for a pending call, or else the end of the test.
      this.exited.then(() => started || reject(new KataProcessError(`the kata process ended as it started: ${this.takeEndReason() ?? 'no reason given'}`)))
    })
    runtime.then(
      ({ file, code }) => this.alive && this.child.send({ file, code }),
      () => this.child.kill('SIGKILL'),
    )
  }

  private waitForReady: () => void = () => {}

  get pid(): number {
    return this.child.pid ?? -1
  }

  get alive(): boolean {
    return this.exitInfo === undefined
  }

  /** Whose sockets are the kata process's, as the kernel tells them apart. */
  get socketOwner(): SocketOwner {
    // Root reads the descriptors of any process; another user tells the kata process's sockets by their uid.
    if (this.options.identity && this.socketInodes() === undefined) return { uid: this.options.identity.uid }
    return { pid: this.pid, ignore: this.channelInodes }
  }

  /** The socket inodes of the IPC channel, known at start: every other socket of the process is the learner's or the test's. */
  private channelInodes = new Set<number>()

  /** The inodes of the sockets the kata process holds, its channel aside (Linux; undefined where they cannot be read). */
  socketInodes(): number[] | undefined {
    if (process.platform !== 'linux') return undefined
    const inodes = socketInodesOf(this.pid)
    return inodes === undefined ? undefined : [...inodes].filter((inode) => !this.channelInodes.has(inode))
  }

  /** The kernel's rows for the sockets the kata process holds, of one protocol or of both. */
  sockets(protocol: Protocol | 'any', which?: (socket: KernelSocket) => boolean): KernelSocket[] {
    return this.alive ? socketsOwnedBy(this.socketOwner, protocol, which) : []
  }

  async load(file: string, code: string): Promise<string[]> {
    const reply = await this.request({ type: 'load', id: 0, file, code })
    return decode(this.value(reply), this) as string[]
  }

  /** Calls the learner's function; see KataCall for how its end is reported. */
  call(fn: string, args: unknown[]): { returned: Promise<boolean>; settled: Promise<CallSettlement>; id: number } {
    const id = this.nextId++
    let onReturned: (promise: boolean) => void = () => {}
    const returned = new Promise<boolean>((resolve) => (onReturned = resolve))
    const settled = new Promise<CallSettlement>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (message) => {
          if (message.type === 'returned') return onReturned(message.promise)
          this.pending.delete(id)
          if (message.type === 'threw') return reject(thrownByLearner(decode(message.error, this)))
          if (message.type !== 'settled') return reject(new KataProcessError(`unexpected answer ${message.type}`))
          const value = decode(message.value, this)
          const { elapsedMs, observed } = message
          resolve(message.resolved ? { kind: 'resolved', value, elapsedMs, observed } : { kind: 'rejected', error: value, elapsedMs, observed })
        },
        reject,
      })
    })
    this.post({ type: 'call', id, fn, args: args.map(encodeArgument) })
    return { returned, settled, id }
  }

  async create(request: CreateRequest): Promise<{ value: unknown; extra?: Record<string, unknown> }> {
    const reply = await this.request({ type: 'create', id: 0, request })
    return { value: decode(this.value(reply), this), extra: reply.type === 'reply' && reply.ok ? reply.extra : undefined }
  }

  async invoke(handle: number, op: string, args: unknown[]): Promise<unknown> {
    if (!this.alive) throw new KataProcessError('the kata process that held this object has ended')
    const reply = await this.request({ type: 'invoke', id: 0, handle, op, args: args.map(encodeArgument) })
    return decode(this.value(reply), this)
  }

  /** A wait on an answer of this process that ran out: busy in the learner's code all along, it is stuck, and killed once the test ends. */
  watchWait(): Explainable {
    const cpuAtStart = this.cpuMs()
    return {
      explainTimeout: (waitedMs) => {
        const cpuNow = this.cpuMs()
        if (cpuNow === undefined || cpuAtStart === undefined) return undefined
        const why = busyWhileWaited({ usedMs: cpuNow - cpuAtStart, waitedMs })
        if (why) this.stuck = true
        return why
      },
    }
  }

  async testStart(stryker: StrykerState | undefined): Promise<void> {
    await this.request({ type: 'test-start', id: 0, stryker })
  }

  /** Closes everything the test owns in the kata process; what the learner's code still holds comes back. */
  /**
   * Closes everything the test owns in the kata process; what the learner's code still holds comes
   * back, with everything it printed since the last release (the process writes a mark after it on
   * both streams, and the marks are waited for).
   */
  async release(): Promise<{ leftovers: Leftover[]; stryker?: StrykerCoverage; output: string }> {
    const mark = `\u001fkata-output-mark-${this.nextId}\u001f`
    const arrived = this.output.markArrived(mark)
    const reply = await this.request({ type: 'release', id: 0, mark })
    if (reply.type !== 'released') throw new KataProcessError(`unexpected answer ${reply.type}`)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([arrived, this.exited, new Promise((resolve) => (timer = setTimeout(resolve, OUTPUT_MARK_MS)))])
    clearTimeout(timer)
    return { leftovers: reply.leftovers, stryker: reply.stryker, output: this.output.take() }
  }

  /** What the process printed and has not been taken yet (of a process that can no longer be asked for a mark). */
  takeOutput(): string {
    return this.output.take()
  }

  /** How long a message takes to go to the kata process and back, now: how busy the machine is, in effect. */
  async roundTripMs(): Promise<number> {
    const started = performance.now()
    await this.request({ type: 'ping', id: 0 })
    return performance.now() - started
  }

  /** SIGSTOP: the kata process's event loop stops, so nothing it listens on accepts; the kernel still answers handshakes. */
  freeze(): void {
    if (this.alive) process.kill(this.pid, 'SIGSTOP')
    this.frozen = true
  }

  thaw(): void {
    if (this.alive && this.frozen) process.kill(this.pid, 'SIGCONT')
    this.frozen = false
  }

  /** CPU time the process has used, in ms (Linux /proc/<pid>/stat), or undefined where it cannot be read. */
  cpuMs(): number | undefined {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND
    } catch {
      return undefined
    }
  }

  /**
   * Why the process ended (an unhandled error of the learner's, process.exit(), a signal), the first
   * time it is asked: a pending call, or else the end of the test, tells the learner once.
   */
  takeEndReason(): string | undefined {
    if (this.endReported || (this.alive && !this.uncaught) || this.killedByUs) return undefined
    this.endReported = true
    if (this.uncaught) return describeUncaught(this.uncaught.kind, this.uncaught.error)
    const printed = this.output.tail(8)
    const said = printed ? `; it printed:\n${printed}` : ''
    if (this.exitInfo?.signal) {
      const outOfMemory = /out of memory|allocation failed|heap limit/i.test(printed) ? ': it ran out of memory' : ''
      return `the kata process was killed by ${this.exitInfo.signal} while the test ran${outOfMemory}${said}`
    }
    return `the kata process exited (exit code ${this.exitInfo?.code}) while the test ran: does your code call process.exit()?${said}`
  }

  private endReported = false
  private killedByUs = false

  async kill(): Promise<void> {
    if (!this.alive) return
    this.killedByUs = true
    this.child.kill('SIGKILL')
    await this.exited
  }

  private request(message: ToKata): Promise<FromKata> {
    if (!this.alive) return Promise.reject(this.endedError())
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (reply) => {
          this.pending.delete(id)
          resolve(reply)
        },
        reject,
      })
      this.post({ ...message, id })
    })
  }

  private post(message: ToKata): void {
    if (!this.alive || !this.child.connected) return this.failPending()
    this.child.send(message, (error) => error && this.failPending())
  }

  private value(reply: FromKata): Encoded {
    if (reply.type !== 'reply') throw new KataProcessError(`unexpected answer ${reply.type}`)
    if (!reply.ok) throw new RemoteError(reply.error)
    return reply.value
  }

  private receive(message: FromKata): void {
    if (!message || typeof message !== 'object') return
    if (message.type === 'ready') return this.waitForReady()
    if (message.type === 'uncaught') {
      this.uncaught = { kind: message.kind, error: decode(message.error, this) }
      addStrykerCoverage(message.stryker) // a mutant's hit limit ends it this way when it loops in a callback
      return
    }
    if ('id' in message && typeof message.id === 'number') this.pending.get(message.id)?.resolve(message)
  }

  private failPending(): void {
    if ((this.alive && this.child.connected) || this.pending.size === 0) return // with no call to tell, the end of the test tells why
    const error = this.endedError()
    for (const request of this.pending.values()) request.reject(error)
    this.pending.clear()
  }

  private endedError(): KataProcessError {
    if (this.killedByUs) return new KataProcessError('the kata process was stopped by the test harness')
    return new KataProcessError(this.takeEndReason() ?? 'the kata process has ended (see the first test that failed with it)')
  }
}

/** How long the output marks may take to come through once the process has written them. */
const OUTPUT_MARK_MS = 1000

/** USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100

function kataEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const name of PASSED_ON) if (process.env[name] !== undefined) env[name] = process.env[name]
  return { ...env, ...extra }
}

/**
 * `node -e BOOT`, under setpriv where Linux has it: the process gets SIGKILL when the thread that
 * started it ends (so a learner's endless loop never outlives the test run), and, for a separate
 * identity, that user with no capabilities and no way to gain privileges.
 */
function launchCommand(identity: KataProcessOptions['identity']): string[] {
  const node = [process.execPath, '-e', BOOT]
  if (!hasSetpriv()) return node
  const asUser = identity
    ? ['--reuid', String(identity.uid), '--regid', String(identity.gid), '--clear-groups', '--no-new-privs', '--inh-caps', '-all']
    : []
  return ['setpriv', '--pdeathsig', 'SIGKILL', ...asUser, '--', ...node]
}

let setprivFound: boolean | undefined
function hasSetpriv(): boolean {
  setprivFound ??= process.platform === 'linux' && spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0
  return setprivFound
}

/** The learner's function threw instead of returning: the test fails with their error, their lines first. */
function thrownByLearner(error: unknown): Error {
  if (error instanceof RemoteError) return Object.assign(new KataThrew(error.message), { stack: error.stack, code: error.code })
  return new KataThrew(`threw ${describeProblem(error)} instead of returning`)
}

/** The learner's function threw synchronously (the stubs do: "Not implemented yet"). */
export class KataThrew extends HarnessError {
  override name = 'Error'
}
