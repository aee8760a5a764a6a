/**
 * What a kata test holds: the learner's kata, running in a kata process of its own. Its exported
 * functions are called there (`kata.exports.bind(host, port)`), the objects a contract takes are made
 * there (`kata.createServer(host)`), and the kernel's view of its sockets is read from here. Nothing
 * of the learner's code is ever loaded into the test process.
 *
 *   const kata = await kataUnderTest<typeof import('./bind.ts')>(import.meta.url)
 *   const { bind } = kata.exports
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type dgram from 'node:dgram'
import type net from 'node:net'
import { afterAll } from 'vitest'
import { kataOfTestFile, type Kata } from '../katas.ts'
import type { KernelSocket, Protocol, SocketOwner } from '../kernel/proc-net.ts'
import { HarnessError, isHarnessError } from '../lifecycle/harness-error.ts'
import type { Explainable } from '../lifecycle/within.ts'
import { implementationRoot } from '../paths.ts'
import { bundle, runtimeBundle, type Bundle } from './bundle.ts'
import { withNoFreeDescriptor } from './descriptor-limit.ts'
import { endlessLoopWatch } from './endless-loop.ts'
import { whyStillPending } from './kata-errors.ts'
import { KataProcess, KataProcessError, type CallSettlement } from './kata-process.ts'
import type { Observed } from './protocol.ts'
import type { RemoteAsyncIterable, RemoteHandle, RemoteServer, RemoteSocket, RemoteUdpSocket } from './remote.ts'
import { nextKataIdentity, type Identity } from './identities.ts'
import { strykerEnvironment, strykerState } from './stryker-bridge.ts'

/** A value of the learner's, as the test sees it: their servers and sockets stay in the kata process. */
export type Remote<T> = T extends net.Server
  ? RemoteServer
  : T extends net.Socket
    ? RemoteSocket
    : T extends dgram.Socket
      ? RemoteUdpSocket
      : T extends AsyncIterable<infer U>
        ? RemoteAsyncIterable<Remote<U>>
        : T extends Uint8Array
          ? Buffer
          : T extends (infer U)[]
            ? Remote<U>[]
            : T extends object
              ? { [K in keyof T]: Remote<T[K]> }
              : T

/** What the test passes for an argument the contract types as a server or socket: the remote one. */
type Argument<T> = T extends net.Server ? RemoteServer : T extends net.Socket ? RemoteSocket : T

export type RemoteFunction<F> = F extends (...args: infer A) => infer R
  ? (...args: { [I in keyof A]: Argument<A[I]> }) => KataCall<Remote<Awaited<R>>>
  : never

export type RemoteExports<M> = { [K in keyof M as M[K] extends (...args: never[]) => unknown ? K : never]: RemoteFunction<M[K]> }

/** How a call ended, with what the kata process noticed meanwhile and how long it took there. */
export interface Settlement<T> {
  outcome: { resolved: true; value: T } | { resolved: false; error: NodeJS.ErrnoException }
  elapsedMs: number
  observed: Observed
}

/**
 * One call of a learner's function: a promise of its value (rejecting with their error), that can say
 * why it is still pending when a wait runs out, and whose `settlement` tells more than the value.
 */
export class KataCall<T> implements PromiseLike<T>, Explainable {
  readonly settlement: Promise<Settlement<T>>
  /**
   * Resolves once the function has returned (its listeners are attached, say), before it settles;
   * rejects as the call does if it never gets that far (it threw, or the kata process crashed).
   */
  readonly hasReturned: Promise<void> & Explainable
  private returned = false
  private process: KataProcess | undefined
  private cpuAtStart: number | undefined

  constructor(
    private readonly label: string,
    started: Promise<{ process: KataProcess; call: ReturnType<KataProcess['call']> }>,
  ) {
    this.settlement = started.then(({ process, call }) => {
      this.process = process
      this.cpuAtStart = process.cpuMs()
      void call.returned.then(() => (this.returned = true))
      const { looping, stop } = endlessLoopWatch(process, label, Promise.race([call.returned, call.settled]))
      return Promise.race([call.settled, looping]).then(toSettlement<T>).finally(stop)
    })
    this.settlement.catch(() => {}) // a harness error reaches whoever awaits the call
    const returned = started.then(({ call }) => Promise.race([call.returned, call.settled]).then(() => {}))
    this.hasReturned = Object.assign(returned, { explainTimeout: (waitedMs: number) => this.explainTimeout(waitedMs) })
    this.hasReturned.catch(() => {})
  }

  then<A = T, B = never>(onResolved?: ((value: T) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.settlement
      .then(({ outcome }) => {
        if (outcome.resolved) return outcome.value
        throw outcome.error
      })
      .then(onResolved, onRejected)
  }

  /** Why the call is still pending; a process stuck in the learner's code is killed once the test ends. */
  explainTimeout(waitedMs: number): string | undefined {
    const process = this.process
    if (!process) return 'the kata process never got as far as calling it'
    const cpuNow = process.cpuMs()
    const cpu = cpuNow !== undefined && this.cpuAtStart !== undefined ? { usedMs: cpuNow - this.cpuAtStart, waitedMs } : undefined
    const { text, stuck } = whyStillPending(this.label, this.returned, cpu)
    if (stuck) process.stuck = true
    return text
  }
}

function toSettlement<T>(settled: CallSettlement): Settlement<T> {
  const { elapsedMs, observed } = settled
  if (settled.kind === 'resolved') return { outcome: { resolved: true, value: settled.value as T }, elapsedMs, observed }
  return { outcome: { resolved: false, error: settled.error as NodeJS.ErrnoException }, elapsedMs, observed }
}

/** The learner's file does not compile: the test file cannot run at all. */
class KataLoadError extends HarnessError {
  override name = 'KataLoadError'
}

const inThisRun = new Set<KataUnderTest<unknown>>()

/** The katas the current test file has under test (the test lifecycle closes and checks them after each test). */
export function katasUnderTest(): KataUnderTest<unknown>[] {
  return [...inThisRun]
}

/**
 * Starts the learner's kata of the test file `testFileUrl` (import.meta.url) in a kata process. A file
 * that does not compile, or fails as it loads, fails here: the test file cannot run, and says why.
 */
export async function kataUnderTest<M>(testFileUrl: string): Promise<KataUnderTest<M>> {
  const testFile = fileURLToPath(testFileUrl)
  const kata = kataOfTestFile(testFile)
  if (!kata) throw new Error(`${testFile} is not a kata test file (katas/NN-slug/slug.test.ts)`)
  const file = join(implementationRoot(), kata.folder, kata.implementationFile)
  if (!existsSync(file)) throw new Error(`No implementation to test: ${file} does not exist (KATA_IMPL=${implementationRoot()})`)
  const underTest = new KataUnderTest<M>(kata, file, bundle(file))
  await underTest.process() // a file that does not compile or load fails the whole test file now, not each test
  inThisRun.add(underTest as KataUnderTest<unknown>)
  afterAll(async () => {
    inThisRun.delete(underTest as KataUnderTest<unknown>)
    await underTest.retire()
  })
  return underTest
}

export class KataUnderTest<M> {
  /** The kata's exported functions, each called in the kata process. */
  readonly exports: RemoteExports<M>
  private current: Promise<KataProcess> | undefined
  /** The kata process last started, once it is up. */
  private latest: KataProcess | undefined
  /** The identity of the kata process now running, under the grader. */
  private runAs: Identity | undefined

  constructor(
    readonly kata: Kata,
    readonly file: string,
    private readonly code: Promise<Bundle>,
  ) {
    this.exports = new Proxy({} as RemoteExports<M>, {
      get: (_, name) => (typeof name === 'string' ? (...args: unknown[]) => this.call(name, args) : undefined),
    })
  }

  /** The kata process, started (with the kata file loaded) if there is none alive. */
  process(): Promise<KataProcess> {
    const alive = this.current
    if (alive) return alive.then((process) => (process.alive ? process : this.restart()), () => this.restart())
    return this.restart()
  }

  private restart(): Promise<KataProcess> {
    this.current = this.start()
    return this.current
  }

  private async start(): Promise<KataProcess> {
    this.runAs = nextKataIdentity()
    const process = new KataProcess(runtimeBundle(), { identity: this.runAs, env: strykerEnvironment() })
    process.ready.catch(() => {}) // awaited below, unless the code does not compile: then the kill must not leave it unhandled
    try {
      const bundled = await this.code
      if ('error' in bundled) throw new KataLoadError(`${this.kata.implementationFile} does not compile: ${bundled.summary}\n${bundled.error}`)
      await process.ready
      await process.load(this.file, bundled.code) // the module's top level counts as Stryker's static coverage
      await process.testStart(strykerState()) // a process started in the middle of a test carries on with it
    } catch (error) {
      await process.kill()
      if (isHarnessError(error)) throw error
      throw Object.assign(new KataProcessError(`${this.kata.implementationFile} failed as it loaded: ${(error as Error).message}`), {
        stack: (error as Error).stack,
      })
    }
    this.latest = process
    return process
  }

  /** The user the kata process runs as: its own identity under the grader, else the test's. */
  uid(): number | undefined {
    return this.runAs ? this.runAs.uid : process.getuid?.()
  }

  /** The kata process's user and pid (what it may do is the kernel's to say, from /proc/<pid>). */
  async processIdentity(): Promise<{ uid: number | undefined; pid: number }> {
    return { uid: this.uid(), pid: (await this.process()).pid }
  }

  /** Whose sockets in the kernel's table are the kata process's: its uid when it has its own, else its descriptors. */
  socketOwner(): SocketOwner {
    return this.latest?.socketOwner ?? (this.runAs ? { uid: this.runAs.uid } : { pid: -1 })
  }

  call(name: string, args: unknown[]): KataCall<never> {
    const label = name
    return new KataCall(label, this.process().then((process) => ({ process, call: process.call(name, args) })))
  }

  /** A server of the test's, listening in the kata process on `host`, port 0 (the one acceptOne() receives). */
  async createServer(host: string, options: { backlog?: number } = {}): Promise<RemoteServer> {
    const process = await this.process()
    return (await process.create({ what: 'tcp-server', host, ...options })).value as RemoteServer
  }

  /**
   * A client of the test's in the kata process, connected to host:port, and how long its handshake took
   * there. With `allowHalfOpen`, Node leaves it open for writing after the peer's FIN (kata 09's EPIPE).
   */
  async connect(host: string, port: number, options: { allowHalfOpen?: boolean } = {}): Promise<{ socket: RemoteSocket; connectMs: number }> {
    const process = await this.process()
    const { value, extra } = await process.create({ what: 'tcp-connection', host, port, ...options })
    return { socket: value as RemoteSocket, connectMs: Number(extra?.connectMs) }
  }

  /**
   * A test double in the kata process (runtime/test-doubles/): `handle` is what to pass to the learner's
   * function (a callback, an iterable), `control()` steers it and reads its record.
   */
  async testDouble(name: string, options: Record<string, unknown> = {}): Promise<TestDoubleHandle> {
    const process = await this.process()
    const { value } = await process.create({ what: 'test-double', name, options })
    const handle = value as RemoteHandle
    return {
      handle,
      control: (command, ...args) => process.invoke(handle.id, 'test-double', [command, ...args]),
    }
  }

  /** The kernel's rows for the sockets the kata process holds now (none when it is not running). */
  async sockets(protocol: Protocol | 'any', which?: (socket: KernelSocket) => boolean): Promise<KernelSocket[]> {
    const process = await this.current?.catch(() => undefined)
    return process?.sockets(protocol, which) ?? []
  }

  /**
   * The slowest of three round trips to the kata process, now: on a busy machine every answer comes
   * later, and a bound on how soon the learner's code answers can allow for that (kata 05).
   */
  async roundTripMs(): Promise<number> {
    const process = await this.process()
    let slowest = 0
    for (let i = 0; i < 3; i++) slowest = Math.max(slowest, await process.roundTripMs())
    return slowest
  }

  /**
   * The longest either process was held up while `pending` is pending, sampled `everyMs` apart: the
   * slowest round trip to the kata process, or the most the test's own sampling timer fired late (a
   * stall of the test process, which a round trip started after it misses). A burst of load during a
   * call shows here, where round trips before and after it miss it (katas 05, 13).
   */
  async longestStallWhile(pending: PromiseLike<unknown>, everyMs = 20): Promise<number> {
    let settled = false
    pending.then(
      () => (settled = true),
      () => (settled = true),
    )
    let longest = 0
    while (!settled) {
      // A kata process that crashed is the call's to report: no round trip starts a fresh one meanwhile.
      const process = await this.running()
      if (!process?.alive) break
      longest = Math.max(longest, await process.roundTripMs().catch(() => 0))
      const asleep = performance.now()
      await new Promise((resolve) => setTimeout(resolve, everyMs))
      longest = Math.max(longest, performance.now() - asleep - everyMs)
    }
    return longest
  }

  /**
   * How many sockets the kata process holds, read cheaply from its file descriptors where they can be
   * read (else from the kernel's tables): for polling; `sockets()` says which they are.
   */
  async socketCount(): Promise<number> {
    const process = await this.running()
    if (!process) return 0
    return process.socketInodes()?.length ?? process.sockets('tcp').length + process.sockets('udp').length
  }

  /** Runs `body` while the kata process can open no new file descriptor, or only `spare` more (see descriptor-limit.ts). */
  async withNoFreeDescriptor<T>(body: () => Promise<T>, spare = 0): Promise<T> {
    const process = await this.process()
    return withNoFreeDescriptor(process.pid, this.runAs, body, spare)
  }

  /** Stops the kata process's event loop (SIGSTOP): it accepts nothing, while the kernel still completes handshakes. */
  async freeze(): Promise<void> {
    ;(await this.process()).freeze()
  }

  async thaw(): Promise<void> {
    const process = await this.current?.catch(() => undefined)
    process?.thaw()
  }

  /** The running kata process, if there is one (for the test lifecycle). */
  async running(): Promise<KataProcess | undefined> {
    return this.current?.catch(() => undefined)
  }

  /** Ends the kata process; the next call starts a fresh one. */
  async retire(): Promise<void> {
    const process = await this.running()
    this.current = undefined
    await process?.kill()
  }
}

/** A test double made in the kata process: pass `handle` to the learner's code; `control('report')` says what it saw. */
export interface TestDoubleHandle {
  handle: RemoteHandle
  control(command: string, ...args: unknown[]): Promise<unknown>
}
