/**
 * --isolation process: each run on this machine, as a sandbox of its own (grader/sandbox/): its own
 * namespaces and filesystem view through bubblewrap, the student's code as throwaway users (the
 * harness starts each kata process as one, from a block of uids only this run has), and limits for
 * the whole process tree from cgroups (memory without swap, process count, an equal CPU share), a
 * private /tmp of fixed size, a wall-clock limit and a scrubbed environment.
 *
 * Whatever of that this host cannot give (not root, no bubblewrap, no cgroup controllers) is named
 * once, at start, and the runner refuses untrusted work then, unless the instructor accepts it.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { katasDir, projectRoot } from '../harness/paths.ts'
import { vitestBin } from '../harness/run-katas.ts'
import { GraderError } from './calibration.ts'
import { gradingNode, type GradingNode } from './grading-node.ts'
import { readEvents } from './events.ts'
import { OutputTail, vitestGradingArgs, type RunOutcome, type RunRequest, type Runner } from './run-request.ts'
import { bubblewrapArgs, bubblewrapProblem, type SandboxView } from './sandbox/bubblewrap.ts'
import { RunGroups, type RunGroup } from './sandbox/cgroups.ts'

const gradingReporter = join(projectRoot, 'grader', 'reporter.ts')

/** Processes (threads count too) a run may have: Vitest and its workers, a few kata processes, their helpers. */
const PROCESS_LIMIT = 512
/** The private /tmp: the only place a run's code can write. */
const TMP_MIB = 256

export interface ProcessRunnerOptions {
  testsRoot: string
  memoryMiB: number
  /** Grade even where the host cannot isolate runs fully: for code the instructor trusts (the weaknesses are printed). */
  acceptWeakIsolation?: boolean
}

/** What this host lets the grader give a run. */
export interface HostSupport {
  /** Root on Linux: kata processes can run as throwaway users. */
  asRoot: boolean
  /** Why bubblewrap cannot make a sandbox here, or undefined when it can. */
  sandboxProblem: string | undefined
  groups: RunGroups
  /** The Node the runs start (grader/grading-node.ts). */
  node: GradingNode
}

/** Probes this host: bubblewrap with the options a run gets, root, the cgroup controllers. */
export async function probeHost(): Promise<HostSupport> {
  const asRoot = process.platform === 'linux' && process.getuid?.() === 0
  const node = await gradingNode()
  const scratch = await mkdtemp(join(tmpdir(), 'socket-katas-probe-'))
  try {
    const sandboxProblem = process.platform === 'linux' ? bubblewrapProblem(sandboxView(node, scratch, []), asRoot) : 'not Linux: no namespaces'
    return { asRoot, sandboxProblem, groups: RunGroups.open(), node }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** What a run on this host would lack, one sentence each (empty: full isolation). */
export function weaknessesOf(host: HostSupport): string[] {
  return [
    ...(host.sandboxProblem
      ? [`no sandbox: ${host.sandboxProblem}; student code would see this machine's files (classmates', solutions/, the output folder), processes and network`]
      : []),
    ...(host.asRoot ? [] : ["student code would run as the grader's own user, able to read and write what the grader can (separate identities need root)"]),
    ...host.groups.unavailable.map((why) => `no ${why.replace(/^(\w+): /, '$1 limit: ')}`),
  ]
}

export class ProcessRunner implements Runner {
  readonly description: string
  private readonly asRoot: boolean
  private readonly sandboxed: boolean
  private readonly groups: RunGroups
  private readonly node: GradingNode

  private constructor(
    private readonly options: ProcessRunnerOptions,
    host: HostSupport,
  ) {
    this.asRoot = host.asRoot
    this.sandboxed = !host.sandboxProblem
    this.groups = host.groups
    this.node = host.node
    const limits = this.groups.unavailable.length < 3 ? `; ${this.groups.version} limits for the whole run` : ''
    const onNode = host.node.instead ? `; on Node ${host.node.version}, because ${host.node.instead}` : ''
    this.description = this.sandboxed
      ? `process (bubblewrap sandbox: own PID, network and mount namespaces, private /tmp${this.asRoot ? ', student code as throwaway users' : ''}${limits}${onNode})`
      : `process (own process group only${onNode})`
  }

  /**
   * A runner for this host. Throws a GraderError naming what is missing when runs cannot be isolated
   * fully, unless `acceptWeakIsolation`; `warn` hears the same list then, once.
   */
  static async open(options: ProcessRunnerOptions, warn: (line: string) => void = console.error, host?: HostSupport): Promise<ProcessRunner> {
    const support = host ?? (await probeHost())
    const weaknesses = weaknessesOf(support)
    if (weaknesses.length === 0) return new ProcessRunner(options, support).lockingTests()
    const list = weaknesses.map((weakness) => `  - ${weakness}`).join('\n')
    if (!options.acceptWeakIsolation) {
      support.groups.close()
      throw new GraderError(
        `--isolation process cannot hold untrusted code on this host:\n${list}\n` +
          'Grade a class with --isolation docker, run the grader as root where bubblewrap and cgroups are available, ' +
          'or pass --accept-weak-isolation for code you trust.',
      )
    }
    warn(`--accept-weak-isolation: grading without these protections:\n${list}`)
    return new ProcessRunner(options, support).lockingTests()
  }

  private unlockTests = async () => {}

  /**
   * An instructor's own tests (--tests) are root's alone while this runner lives: the student's code,
   * as another user, must not read them (in a sandbox it would see them, mounted for the test process).
   */
  private async lockingTests(): Promise<this> {
    const folder = this.options.testsRoot
    if (this.asRoot && folder !== katasDir) this.unlockTests = await lockToRoot(folder)
    return this
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    const scratch = await mkdtemp(join(tmpdir(), 'socket-katas-grade-'))
    // Sandboxed, a run's home and TMPDIR are its private /tmp; otherwise a home in the scratch folder, and a
    // TMPDIR beside it that every user reaches, as a /tmp: the kata processes' users must reach the socket
    // folders the tests make there (kata 16), and not the scratch folder, which holds the signing key.
    const sharedTmp = this.sandboxed ? undefined : await mkdtemp(join(tmpdir(), 'socket-katas-tmp-'))
    const group = this.groups.create({ memoryMiB: this.options.memoryMiB, processes: PROCESS_LIMIT })
    try {
      if (sharedTmp) await Promise.all([mkdir(join(scratch, 'home')), chmod(sharedTmp, 0o1777)])
      const eventsFile = join(scratch, 'events.jsonl')
      const keyFile = join(scratch, 'events.key')
      const key = randomBytes(32).toString('hex')
      await writeFile(keyFile, key, { mode: 0o600 })
      const env = this.environment({ scratch, sharedTmp, eventsFile, keyFile, implementationDir: request.implementationDir })
      const vitest = [this.node.path, ...vitestGradingArgs(vitestBin, gradingReporter, request)]
      const sandbox = this.sandboxed ? ['bwrap', ...bubblewrapArgs(sandboxView(this.node, scratch, this.readOnly(request)), this.asRoot)] : []
      const [command, ...args] = enteringGroup(group, [...sandbox, ...vitest])
      const ended = await runTree(command!, args, env, request.timeoutMs)
      const oomKills = group.oomKills()
      if (oomKills > 0) ended.outputTail += `\n[grader] out of memory: the run reached its ${this.options.memoryMiB} MiB limit`
      const record = readEvents(await readFile(eventsFile, 'utf8').catch(() => ''), key)
      return { ...ended, record }
    } finally {
      await group.remove()
      await rm(scratch, { recursive: true, force: true })
      if (sharedTmp) await rm(sharedTmp, { recursive: true, force: true })
    }
  }

  /** Folders outside the project's test entries that this run reads: the code under test (unless staged in scratch), a --tests folder. */
  private readOnly(request: RunRequest): string[] {
    return [request.implementationDir, ...(this.options.testsRoot === katasDir ? [] : [this.options.testsRoot])]
  }

  /** Only what a test run needs: nothing of the instructor's environment (tokens, keys) reaches student code. */
  private environment(paths: { scratch: string; sharedTmp: string | undefined; eventsFile: string; keyFile: string; implementationDir: string }): NodeJS.ProcessEnv {
    const home = this.sandboxed ? '/tmp' : join(paths.scratch, 'home')
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      TMPDIR: paths.sharedTmp ?? '/tmp',
      LANG: 'C.UTF-8',
      CI: '1',
      NO_COLOR: '1',
      KATA_IMPL: paths.implementationDir,
      KATA_TESTS: this.options.testsRoot,
      KATA_EVENTS_FILE: paths.eventsFile,
      KATA_EVENTS_KEY_FILE: paths.keyFile,
      // The heap may grow past the run's memory limit, so that the limit (the kernel's) ends a hog, not V8.
      NODE_OPTIONS: `--max-old-space-size=${this.options.memoryMiB * 2}`,
    }
    const identities = this.asRoot ? kataIdentities() : undefined
    if (identities) env.KATA_PROCESS_USERS = identities
    return env
  }

  async close(): Promise<void> {
    this.groups.close()
    await this.unlockTests()
  }
}

function sandboxView(node: GradingNode, scratch: string, readOnly: string[]): SandboxView {
  return { projectRoot, node: node.path, readOnly, scratch, tmpMiB: TMP_MIB }
}

/** Makes `folder` root's alone (0700) until the function it returns puts its mode back. */
export async function lockToRoot(folder: string): Promise<() => Promise<void>> {
  const { mode } = await stat(folder)
  await chmod(folder, 0o700)
  return () => chmod(folder, mode & 0o7777)
}

/** sh enters the run's groups (its children inherit them), then becomes the command. */
function enteringGroup(group: RunGroup, command: string[]): string[] {
  const files = group.procsFiles
  if (files.length === 0) return command
  const enter = 'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 96; shift; done; shift; exec "$@"'
  return ['sh', '-c', enter, 'sh', ...files, '--', ...command]
}

/** Kata processes run as users of their own, from a block of this range per run (no account needs to exist). */
const KATA_UIDS = { first: 61_000, blocks: 40, perBlock: 200 }
let nextBlock = 0

/**
 * The uids the kata processes of the next run take (KATA_PROCESS_USERS, see harness/kata-process/
 * identities.ts): a block no run graded at the same time has, so that the student's code can read
 * neither the test process (its memory, the signing key, the events file) nor another run's files.
 */
function kataIdentities(): string {
  const first = KATA_UIDS.first + (nextBlock++ % KATA_UIDS.blocks) * KATA_UIDS.perBlock
  return `${first}-${first + KATA_UIDS.perBlock - 1}`
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
