/**
 * --isolation process: each run is its own process tree, with a wall-clock limit, a memory limit
 * (RLIMIT_DATA, which bounds Buffers as well as the JS heap) and a scrubbed environment.
 *
 * On Linux, where unshare works (as root, or through a user namespace), the tree also gets its own
 * PID namespace, so killing it kills every process a submission started, however it detached, and its
 * own network namespace, so no two submissions can ever collide on a port. Elsewhere the tree is a
 * process group, killed as a group.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot } from '../harness/paths.ts'
import { vitestBin } from '../harness/run-katas.ts'
import { readEvents } from './events.ts'
import { OutputTail, vitestGradingArgs, type RunOutcome, type RunRequest, type Runner } from './run-request.ts'

const gradingReporter = join(projectRoot, 'grader', 'reporter.ts')

export interface ProcessRunnerOptions {
  testsRoot: string
  memoryMiB: number
}

export class ProcessRunner implements Runner {
  private readonly namespaces = namespacesWork()
  readonly description = `process (${this.namespaces ? 'own PID and network namespaces' : 'own process group'})`

  constructor(private readonly options: ProcessRunnerOptions) {}

  async run(request: RunRequest): Promise<RunOutcome> {
    const scratch = await mkdtemp(join(tmpdir(), 'socket-katas-grade-'))
    try {
      await Promise.all([mkdir(join(scratch, 'home')), mkdir(join(scratch, 'tmp'))])
      const eventsFile = join(scratch, 'events.jsonl')
      const keyFile = join(scratch, 'events.key')
      const key = randomBytes(32).toString('hex')
      await writeFile(keyFile, key, { mode: 0o600 })
      const env = scrubbedEnv({ scratch, eventsFile, keyFile, implementationDir: request.implementationDir, testsRoot: this.options.testsRoot })
      const identities = kataIdentities()
      if (identities) env.KATA_PROCESS_USERS = identities
      // Above the data limit, so that limit always ends a hog first, and V8 says "heap out of memory" as it dies
      // (a worker thread that reaches its own heap limit dies without a word).
      env.NODE_OPTIONS = `--max-old-space-size=${this.options.memoryMiB * 2}`
      const vitest = [process.execPath, ...vitestGradingArgs(vitestBin, gradingReporter, request)]
      const [command, ...args] = this.wrap(vitest)
      const ended = await runTree(command!, args, env, request.timeoutMs)
      const record = readEvents(await readFile(eventsFile, 'utf8').catch(() => ''), key)
      return { ...ended, record }
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }
  }

  /** sh sets the memory limit (and brings up loopback in a fresh network namespace), then becomes Vitest. */
  private wrap(command: string[]): string[] {
    const kib = this.options.memoryMiB * 1024
    const setup = `ulimit -d ${kib} 2>/dev/null; ${this.namespaces ? 'ip link set lo up || exit 97; ' : ''}exec "$@"`
    const shell = ['sh', '-c', setup, 'sh', ...command]
    return this.namespaces ? ['unshare', ...unshareArgs(), ...shell] : shell
  }

  async close(): Promise<void> {}
}

function unshareArgs(): string[] {
  const asRoot = process.getuid?.() === 0
  // --mount-proc: a /proc of the run's own PID namespace, where the harness finds its kata processes by pid.
  return [...(asRoot ? [] : ['--user', '--map-root-user']), '--net', '--pid', '--fork', '--mount-proc', '--kill-child']
}

/** Kata processes run as users of their own, from a block of this range per run (no account needs to exist). */
const KATA_UIDS = { first: 61_000, blocks: 40, perBlock: 200 }
let nextBlock = 0

/**
 * The uids the kata processes of the next run take (KATA_PROCESS_USERS, see harness/kata-process/
 * identities.ts): a block no run graded at the same time has, so that the student's code can read
 * neither the test process (its memory, the signing key, the events file) nor another run's files.
 * Only root can hand out identities; elsewhere there are none.
 */
function kataIdentities(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined
  const first = KATA_UIDS.first + (nextBlock++ % KATA_UIDS.blocks) * KATA_UIDS.perBlock
  return `${first}-${first + KATA_UIDS.perBlock - 1}`
}

let namespacesProbe: boolean | undefined

/** Whether this host lets the grader give each run its own PID and network namespace (probed once). */
export function namespacesWork(): boolean {
  if (namespacesProbe === undefined) {
    namespacesProbe =
      process.platform === 'linux' &&
      spawnSync('unshare', [...unshareArgs(), 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore', timeout: 5000 }).status === 0
  }
  return namespacesProbe
}

/** Only what a test run needs: nothing of the instructor's environment (tokens, keys) reaches student code. */
function scrubbedEnv(paths: { scratch: string; eventsFile: string; keyFile: string; implementationDir: string; testsRoot: string }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: join(paths.scratch, 'home'),
    TMPDIR: join(paths.scratch, 'tmp'),
    LANG: 'C.UTF-8',
    CI: '1',
    NO_COLOR: '1',
    KATA_IMPL: paths.implementationDir,
    KATA_TESTS: paths.testsRoot,
    KATA_EVENTS_FILE: paths.eventsFile,
    KATA_EVENTS_KEY_FILE: paths.keyFile,
  }
}

/** Runs a command as the leader of a new process group, and kills the whole group when it ends or times out. */
function runTree(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Omit<RunOutcome, 'record'>> {
  return new Promise((resolve, reject) => {
    const output = new OutputTail()
    const child = spawn(command, args, { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    const killTree = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      killTree()
    }, timeoutMs)
    child.stdout.on('data', (chunk) => output.add(chunk))
    child.stderr.on('data', (chunk) => output.add(chunk))
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      killTree() // whatever the submission left running
      const done = () => resolve({ timedOut, exit: { code, signal }, outputTail: output.toString() })
      const closeGrace = setTimeout(done, 2000) // a leftover that escaped the kill may hold the pipes open
      child.once('close', () => {
        clearTimeout(closeGrace)
        done()
      })
    })
  })
}
