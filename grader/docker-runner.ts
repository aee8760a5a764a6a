/**
 * --isolation docker: every run in a fresh container through testcontainers, with no network
 * (--network none), memory, CPU and process-count limits, and a read-only filesystem apart from a
 * small scratch tmpfs and a /tmp every user may write in. The tests run as the container's root with every capability dropped but
 * those process isolation gives them (RUN_CAPABILITIES, grader/sandbox/bubblewrap.ts: start the kata
 * processes as users of their own, stop them, read their descriptors, reach their Unix sockets); the student's code, in those kata processes, can read neither the tests' memory,
 * nor the scratch folder where the signed events file is, nor the files copied in (root's alone:
 * the code reaches its kata process over IPC). The files are copied in (bind mounts would break
 * with a remote DOCKER_HOST), the image is never pulled, and since the resource reaper would need
 * an image of its own, it is off and the grader removes its containers itself.
 *
 * A run never waits on the engine or the container past its wall-clock limit and a fixed grace:
 * every engine call is bounded, and a container that does not go within its bound is removed in
 * the background, which close() waits for.
 */
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { constants } from 'node:os'
import { join, relative } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import tar from 'tar-stream'
import { GraderError } from './calibration.ts'
import { readEvents } from './events.ts'
import { GRADER_DIR, NODE_IN_IMAGE } from './image.ts'
import { RUN_CAPABILITIES } from './sandbox/bubblewrap.ts'
import { OutputTail, vitestGradingArgs, type RunOutcome, type RunRequest, type Runner } from './run-request.ts'

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true'
const { GenericContainer, getContainerRuntimeClient, ImageName } = await import('testcontainers')
type StartedTestContainer = Awaited<ReturnType<InstanceType<typeof GenericContainer>['start']>>
type RuntimeClient = Awaited<ReturnType<typeof getContainerRuntimeClient>>
type EngineContainer = ReturnType<RuntimeClient['container']['getById']>

const PIDS_LIMIT = 512
/** The student's code runs as these users in the container (one per kata process); the tests, as root. */
const KATA_USERS = '1000-1199'
const SCRATCH = '/scratch'
/** The tests' and the kata processes' TMPDIR, as in process isolation: where a test makes what the student's code must reach (kata 16's socket folders). */
const SHARED_TMP = '/tmp'
const SHARED_TMP_MIB = 64
const EVENTS_FILE = `${SCRATCH}/events.jsonl`
const KEY_FILE = `${SCRATCH}/events.key`
export const CONTAINER_LABEL = 'org.socket-katas.grader'
/** Names one start: a start that fails or outlives its bound may have created its container all the same. */
const START_LABEL = `${CONTAINER_LABEL}.start`

/** How long each engine call of a run may take before the run gives up on it. */
const BOUNDS_MS = { start: 30_000, writeKey: 2_000, collect: 3_000, remove: 2_000, list: 10_000 }
/** run() returns within its wall-clock limit plus this, whatever the container does: every engine call at its bound. */
export const RUN_GRACE_MS = BOUNDS_MS.start + BOUNDS_MS.writeKey + BOUNDS_MS.collect + BOUNDS_MS.remove
/** How long close() waits for late starts and removals still under way before it force-removes whatever is left. */
const CLOSE_WAIT_MS = BOUNDS_MS.start

/** SIGUSR1 would open Node's inspector. */
const COLLECT_SIGNAL = 'SIGUSR2'
/**
 * The container's first process. Signalled at the end of a run, it kills every other process in the
 * container, then prints the events file and how many processes the kernel killed for memory
 * (cgroup v1 memory.oom_control, v2 memory.events): it is already running, so this works even when
 * the student's code has used up the process limit and no reader could be started.
 */
const SUPERVISOR = `
const fs = require('fs')
const read = (path) => { try { return fs.readFileSync(path, 'utf8') } catch { return '' } }
const oom = (text) => Number(/oom_kill (\\d+)/.exec(text)?.[1] ?? 0)
process.on('${COLLECT_SIGNAL}', () => {
  try { process.kill(-1, 'SIGKILL') } catch {}
  const oomKills = oom(read('/sys/fs/cgroup/memory/memory.oom_control')) + oom(read('/sys/fs/cgroup/memory.events'))
  process.stdout.write(JSON.stringify({ events: read(process.argv[1]), oomKills }) + '\\n')
})
setInterval(() => {}, 1 << 30)
`
const WRITE_KEY = `require('fs').writeFileSync(process.argv[1], process.argv[2], { mode: 0o600 })`

interface Collected {
  events: string
  oomKills: number
}

/** GenericContainer with the host settings testcontainers has no method for. */
class LockedDownContainer extends GenericContainer {
  protected override async beforeContainerCreated(): Promise<void> {
    Object.assign(this.hostConfig, {
      MemorySwap: this.hostConfig.Memory, // no swap: past the limit, the kernel kills instead of crawling
      ReadonlyRootfs: true,
      PidsLimit: PIDS_LIMIT,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
      CapAdd: RUN_CAPABILITIES.map((capability) => capability.replace(/^CAP_/, '')),
    })
  }
}

export interface DockerRunnerOptions {
  image: string
  testsRoot: string
  memoryMiB: number
}

export class DockerRunner implements Runner {
  readonly description: string
  private readonly runId = randomBytes(6).toString('hex')
  /** The label every container of this runner's carries, as `docker ps --filter label=` takes it. */
  readonly label = `${CONTAINER_LABEL}=${this.runId}`
  /** Removals (and late starts) that outlived their bound; close() waits for them. */
  private readonly background = new Set<Promise<unknown>>()

  private constructor(
    private readonly client: RuntimeClient,
    private readonly options: DockerRunnerOptions & { customTests: boolean },
  ) {
    this.description = `docker (image ${options.image}, network none)`
  }

  static async start(options: DockerRunnerOptions & { defaultTestsRoot: string }): Promise<DockerRunner> {
    const client = await getContainerRuntimeClient().catch((error: Error) => {
      throw new GraderError(`no Docker engine answers (${error.message}); start one, or set DOCKER_HOST`)
    })
    if (!(await client.image.exists(ImageName.fromString(options.image)))) {
      throw new GraderError(`the image ${options.image} is not on this Docker host, and the grader never pulls; build it with npm run grade:image`)
    }
    const runner = new DockerRunner(client, { ...options, customTests: options.testsRoot !== options.defaultTestsRoot })
    process.once('SIGINT', () => void runner.close().finally(() => process.exit(130)))
    return runner
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    const container = await this.startContainer(request)
    let timer: NodeJS.Timeout | undefined
    const limit = new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), request.timeoutMs)))
    try {
      const key = randomBytes(32).toString('hex')
      await bounded(container.exec([NODE_IN_IMAGE, '-e', WRITE_KEY, KEY_FILE, key]), BOUNDS_MS.writeKey, 'write the events key')
      const tests = container.exec(this.testCommand(request), { workingDir: GRADER_DIR, env: this.testEnv() })
      tests.catch(() => {}) // past the limit nobody waits for it, and it fails as its container goes
      const result = await Promise.race([tests, limit])
      const { events, oomKills } = await this.collect(container.getId())
      const output = new OutputTail()
      if (result !== 'timed out') output.add(result.output)
      if (oomKills > 0) output.add(`\n[grader] out of memory: the container reached its ${this.options.memoryMiB} MiB limit`)
      const record = readEvents(events, key)
      if (result === 'timed out') return { record, timedOut: true, exit: { code: null, signal: 'SIGKILL' }, outputTail: output.toString() }
      return { record, timedOut: false, exit: exitOf(result.exitCode), outputTail: output.toString() }
    } finally {
      clearTimeout(timer)
      await this.remove(container.getId())
    }
  }

  private async startContainer(request: RunRequest): Promise<StartedTestContainer> {
    // Into the image's volumes: with a read-only root filesystem, the engine takes archives nowhere else.
    const archives = [{ tar: await archiveOf(request.implementationDir), target: '/submission' }]
    if (this.options.customTests) archives.push({ tar: await archiveOf(this.options.testsRoot), target: '/tests' })
    const startId = randomBytes(6).toString('hex')
    const starting = new LockedDownContainer(this.options.image)
      .withCommand([NODE_IN_IMAGE, '-e', SUPERVISOR, EVENTS_FILE])
      .withNetworkMode('none')
      .withUser('0:0')
      .withResourcesQuota({ memory: this.options.memoryMiB / 1024, cpu: 1 })
      .withTmpFs({ [SCRATCH]: 'rw,size=256m,uid=0,gid=0,mode=0700', [SHARED_TMP]: `rw,size=${SHARED_TMP_MIB}m,mode=1777` })
      .withCopyArchivesToContainer(archives)
      .withLabels({ [CONTAINER_LABEL]: this.runId, [START_LABEL]: startId })
      .start()
    try {
      return await bounded(starting, BOUNDS_MS.start, 'start a container')
    } catch (error) {
      // Once the start settles, late or failed, whatever it created goes.
      this.inBackground(starting.then(
        (late) => this.remove(late.getId()),
        () => this.removeLabelled(`${START_LABEL}=${startId}`),
      ))
      throw error
    }
  }

  private testCommand(request: RunRequest): string[] {
    return [NODE_IN_IMAGE, ...vitestGradingArgs('node_modules/vitest/vitest.mjs', 'grader/reporter.ts', request)]
  }

  private testEnv(): Record<string, string> {
    return {
      NODE_OPTIONS: `--max-old-space-size=${this.options.memoryMiB}`, // the heap may grow to the limit, so the kernel's OOM kill ends a hog
      KATA_IMPL: '/submission',
      TMPDIR: SHARED_TMP,
      KATA_TESTS: this.options.customTests ? '/tests' : `${GRADER_DIR}/katas`,
      KATA_EVENTS_FILE: EVENTS_FILE,
      KATA_EVENTS_KEY_FILE: KEY_FILE,
      CI: '1',
      NO_COLOR: '1',
      KATA_PROCESS_USERS: KATA_USERS,
    }
  }

  /**
   * Has the supervisor kill whatever still runs in the container and hand over what the run left in
   * scratch, which goes with the container; nothing is read if it does not answer within its bound.
   */
  private async collect(id: string): Promise<Collected> {
    const abort = new AbortController()
    try {
      return await bounded(handOver(this.client.container.getById(id), abort.signal), BOUNDS_MS.collect, 'hand over the events')
    } catch {
      return { events: '', oomKills: 0 }
    } finally {
      abort.abort()
    }
  }

  /** Kills and removes a container; one the engine has not removed within the bound goes on being removed in the background. */
  private async remove(id: string): Promise<void> {
    const removal = this.client.container.getById(id).remove({ force: true, v: true })
    await bounded(removal, BOUNDS_MS.remove, 'remove a container').catch(() => this.inBackground(removal))
  }

  /** Force-removes every container with this label; returns those it could not list or remove. */
  private async removeLabelled(label: string): Promise<string[]> {
    const listing = this.client.container.dockerode.listContainers({ all: true, filters: { label: [label] } })
    const found = await bounded(listing, BOUNDS_MS.list, 'list containers').catch(() => undefined)
    if (!found) return [`(the containers labelled ${label}: the engine did not list them)`]
    const removals = found.map(({ Id }) => bounded(this.client.container.getById(Id).remove({ force: true, v: true }), BOUNDS_MS.list, 'remove a container').then(() => [], () => [Id]))
    return (await Promise.all(removals)).flat()
  }

  private inBackground(work: Promise<unknown>): void {
    const tracked: Promise<unknown> = work.catch(() => {}).finally(() => this.background.delete(tracked))
    this.background.add(tracked)
  }

  /**
   * Waits (bounded) for late starts and removals under way, then force-removes every container of this
   * grader's that is left; one it cannot remove is named on stderr, with the command that removes it.
   */
  async close(): Promise<void> {
    await bounded(Promise.all(this.background), CLOSE_WAIT_MS, 'finish removing containers').catch(() => {})
    const left = await this.removeLabelled(this.label)
    if (left.length > 0) {
      process.stderr.write(`[grader] the Docker engine did not remove ${left.join(', ')}; remove them with: docker rm -f $(docker ps -aq --filter label=${this.label})\n`)
    }
  }
}

/**
 * A tar archive of `folder`'s folders and files, every entry root's alone: the tests read them as root,
 * and no kata process needs them. tar-stream writes paths too long for a ustar header as PAX headers.
 */
async function archiveOf(folder: string): Promise<Readable> {
  const pack = tar.pack()
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    const header = { name: relative(folder, path), uid: 0, gid: 0 }
    if (entry.isDirectory()) pack.entry({ ...header, type: 'directory', mode: 0o700 })
    else if (entry.isFile()) pack.entry({ ...header, mode: 0o600 }, await readFile(path))
  }
  pack.finalize()
  return Readable.from(pack)
}

/** Attaches to the supervisor's output, signals it, and reads the one line it prints. */
async function handOver(container: EngineContainer, abortSignal: AbortSignal): Promise<Collected> {
  const attached = await container.attach({ stream: true, stdout: true, abortSignal })
  const stdout = new PassThrough({ encoding: 'utf8' })
  container.modem.demuxStream(attached, stdout, stdout)
  attached.once('close', () => stdout.end())
  const [line] = await Promise.all([firstLine(stdout), container.kill({ signal: COLLECT_SIGNAL, abortSignal })])
  return JSON.parse(line) as Collected
}

async function firstLine(stream: AsyncIterable<string>): Promise<string> {
  let text = ''
  for await (const chunk of stream) {
    text += chunk
    if (text.includes('\n')) return text.slice(0, text.indexOf('\n'))
  }
  throw new Error('the stream ended before a whole line')
}

/** `promise`, or a rejection once `ms` have passed without it settling (it goes on, unobserved). */
function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the Docker engine did not ${what} within ${ms / 1000} s`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Exit statuses above 128 mean "killed by signal (status - 128)", as a shell reports them. */
function exitOf(status: number): RunOutcome['exit'] {
  if (status <= 128) return { code: status, signal: null }
  const signal = Object.entries(constants.signals).find(([, number]) => number === status - 128)?.[0] ?? null
  return { code: null, signal }
}
