/**
 * --isolation docker: every run in a fresh container through testcontainers, with no network
 * (--network none), memory, CPU and process-count limits, and a read-only filesystem apart from a
 * small scratch tmpfs. The tests run as the container's root with every capability dropped but
 * the three it needs to start the kata processes as user 1000 and to stop them (SETUID, SETGID,
 * KILL); the student's code, in those kata processes, can read neither the tests' memory nor the
 * scratch folder where the signed events file is. The submission is copied in (bind mounts
 * would break with a remote DOCKER_HOST), the image is never pulled, and since the resource reaper
 * would need an image of its own, it is off and the grader removes its containers itself.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:os'
import { Readable } from 'node:stream'
import { GraderError } from './calibration.ts'
import { readEvents } from './events.ts'
import { GRADER_DIR, NODE_IN_IMAGE } from './image.ts'
import { OutputTail, vitestGradingArgs, type RunOutcome, type RunRequest, type Runner } from './run-request.ts'
import { tarFolder } from './tar.ts'

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true'
const { GenericContainer, getContainerRuntimeClient, ImageName } = await import('testcontainers')
type StartedTestContainer = Awaited<ReturnType<InstanceType<typeof GenericContainer>['start']>>

const PIDS_LIMIT = 512
/** The student's code runs as these users in the container (one per kata process); the tests, as root. */
const KATA_USERS = '1000-1199'
const SCRATCH = '/scratch'
const EVENTS_FILE = `${SCRATCH}/events.jsonl`
const KEY_FILE = `${SCRATCH}/events.key`
export const CONTAINER_LABEL = 'org.socket-katas.grader'

const READ_AFTER_RUN = `
const fs = require('fs')
const read = (path) => { try { return fs.readFileSync(path, 'utf8') } catch { return '' } }
const oom = (text) => Number(/oom_kill (\\d+)/.exec(text)?.[1] ?? 0)
const oomKills = oom(read('/sys/fs/cgroup/memory/memory.oom_control')) + oom(read('/sys/fs/cgroup/memory.events'))
process.stdout.write(JSON.stringify({ events: read(process.argv[1]), oomKills }))
`

/** GenericContainer with the host settings testcontainers has no method for. */
class LockedDownContainer extends GenericContainer {
  protected override async beforeContainerCreated(): Promise<void> {
    Object.assign(this.hostConfig, {
      MemorySwap: this.hostConfig.Memory, // no swap: past the limit, the kernel kills instead of crawling
      ReadonlyRootfs: true,
      PidsLimit: PIDS_LIMIT,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
      CapAdd: ['SETUID', 'SETGID', 'KILL'],
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
  private readonly live = new Set<StartedTestContainer>()
  private readonly runId = randomBytes(6).toString('hex')

  private constructor(private readonly options: DockerRunnerOptions & { customTests: boolean }) {
    this.description = `docker (image ${options.image}, network none)`
  }

  static async start(options: DockerRunnerOptions & { defaultTestsRoot: string }): Promise<DockerRunner> {
    const client = await getContainerRuntimeClient().catch((error: Error) => {
      throw new GraderError(`no Docker engine answers (${error.message}); start one, or set DOCKER_HOST`)
    })
    if (!(await client.image.exists(ImageName.fromString(options.image)))) {
      throw new GraderError(`the image ${options.image} is not on this Docker host, and the grader never pulls; build it with npm run grade:image`)
    }
    const runner = new DockerRunner({ ...options, customTests: options.testsRoot !== options.defaultTestsRoot })
    process.once('SIGINT', () => void runner.close().finally(() => process.exit(130)))
    return runner
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    const archives = [{ tar: await tarFolder(request.implementationDir), target: '/submission' }]
    if (this.options.customTests) archives.push({ tar: await tarFolder(this.options.testsRoot), target: '/tests' })
    const container = await new LockedDownContainer(this.options.image)
      .withNetworkMode('none')
      .withUser('0:0')
      .withResourcesQuota({ memory: this.options.memoryMiB / 1024, cpu: 1 })
      .withTmpFs({ [SCRATCH]: 'rw,size=256m,uid=0,gid=0,mode=0700' })
      .withCopyArchivesToContainer(archives.map(({ tar, target }) => ({ tar: Readable.from(tar), target })))
      .withLabels({ [CONTAINER_LABEL]: this.runId })
      .start()
    this.live.add(container)
    try {
      const key = randomBytes(32).toString('hex')
      await container.exec([NODE_IN_IMAGE, '-e', `require('fs').writeFileSync(${JSON.stringify(KEY_FILE)}, process.argv[1], { mode: 0o600 })`, key])
      const env = {
        NODE_OPTIONS: `--max-old-space-size=${this.options.memoryMiB}`, // the heap may grow to the limit, so the kernel's OOM kill ends a hog
        KATA_IMPL: '/submission',
        KATA_TESTS: this.options.customTests ? '/tests' : `${GRADER_DIR}/katas`,
        KATA_EVENTS_FILE: EVENTS_FILE,
        KATA_EVENTS_KEY_FILE: KEY_FILE,
        CI: '1',
        NO_COLOR: '1',
        KATA_PROCESS_USERS: KATA_USERS,
      }
      const command = [NODE_IN_IMAGE, ...vitestGradingArgs('node_modules/vitest/vitest.mjs', 'grader/reporter.ts', request)]
      const exec = container.exec(command, { workingDir: GRADER_DIR, env })
      exec.catch(() => {}) // after a timeout it fails when the container stops; that is expected
      const timedOut = Symbol('timed out')
      let timer: NodeJS.Timeout | undefined
      const result = await Promise.race([exec, new Promise<typeof timedOut>((resolve) => (timer = setTimeout(() => resolve(timedOut), request.timeoutMs)))])
      clearTimeout(timer)
      const { events, oomKills } = await this.readAfterRun(container)
      const output = new OutputTail()
      if (result !== timedOut) output.add(result.output)
      if (oomKills > 0) output.add(`\n[grader] out of memory: the container reached its ${this.options.memoryMiB} MiB limit`)
      const record = readEvents(events, key)
      if (result === timedOut) return { record, timedOut: true, exit: { code: null, signal: 'SIGKILL' }, outputTail: output.toString() }
      return { record, timedOut: false, exit: exitOf(result.exitCode), outputTail: output.toString() }
    } finally {
      this.live.delete(container)
      await container.stop({ timeout: 0, remove: true, removeVolumes: true })
    }
  }

  /**
   * The events file, read before the container goes (its scratch tmpfs goes with it), and how many
   * processes the kernel killed for memory (cgroup v1 memory.oom_control, v2 memory.events).
   */
  private async readAfterRun(container: StartedTestContainer): Promise<{ events: string; oomKills: number }> {
    const result = await container.exec([NODE_IN_IMAGE, '-e', READ_AFTER_RUN, EVENTS_FILE]).catch(() => undefined)
    try {
      return JSON.parse(result?.stdout ?? '') as { events: string; oomKills: number }
    } catch {
      return { events: '', oomKills: 0 }
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.live].map((container) => container.stop({ timeout: 0, remove: true, removeVolumes: true }).catch(() => {})))
    this.live.clear()
  }
}

/** Exit statuses above 128 mean "killed by signal (status - 128)", as a shell reports them. */
function exitOf(status: number): RunOutcome['exit'] {
  if (status <= 128) return { code: status, signal: null }
  const signal = Object.entries(constants.signals).find(([, number]) => number === status - 128)?.[0] ?? null
  return { code: null, signal }
}
