/**
 * Resource limits for a grading run's whole process tree, from the kernel's control groups: memory
 * without swap, a process count, and an equal CPU share beside every other run. cgroup v2 where the
 * controllers are there (a unified hierarchy), cgroup v1 where they are (hybrid hosts, Docker's
 * cgroupfs driver); each run gets a group under the grader's own, entered before anything starts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

export type Controller = 'memory' | 'pids' | 'cpu'
export const CONTROLLERS: Controller[] = ['memory', 'pids', 'cpu']

export interface RunLimits {
  memoryMiB: number
  processes: number
}

/** Where each controller's groups for this grader live, or why that controller cannot be used. */
type Placement = { controller: Controller; root: string; version: 1 | 2 } | { controller: Controller; unavailable: string }

export class RunGroups {
  private next = 0

  private constructor(private readonly placements: Placement[]) {}

  /** Finds the controllers, creates this grader's parent group in each, and says which cannot be used. */
  static open(): RunGroups {
    return new RunGroups(process.platform === 'linux' ? CONTROLLERS.map(placeController) : CONTROLLERS.map((controller) => ({ controller, unavailable: 'not Linux' })))
  }

  /** "memory: ..." for each controller this host does not let the grader use. */
  get unavailable(): string[] {
    return this.placements.flatMap((placement) => ('unavailable' in placement ? [`${placement.controller}: ${placement.unavailable}`] : []))
  }

  get version(): string {
    const versions = new Set(this.placements.flatMap((placement) => ('version' in placement ? [placement.version] : [])))
    return [...versions].map((version) => `cgroup v${version}`).join(' and ')
  }

  /** A group per usable controller for the next run, with the limits written. */
  create(limits: RunLimits): RunGroup {
    const name = `run-${this.next++}`
    const folders = new Map<string, 1 | 2>()
    for (const placement of this.placements) {
      if ('unavailable' in placement) continue
      const folder = join(placement.root, name)
      if (!folders.has(folder)) mkdirSync(folder, { recursive: true })
      folders.set(folder, placement.version)
      writeLimit(folder, placement.controller, placement.version, limits)
    }
    return new RunGroup(folders)
  }

  /** Removes the grader's parent groups (each run's own is gone by then). */
  close(): void {
    for (const placement of this.placements) if ('root' in placement) removeGroup(placement.root)
  }
}

export class RunGroup {
  constructor(private readonly folders: Map<string, 1 | 2>) {}

  /** The files a process writes its pid to, to enter every group of this run. */
  get procsFiles(): string[] {
    return [...this.folders.keys()].map((folder) => join(folder, 'cgroup.procs'))
  }

  /** How many processes the kernel killed for memory in this run. */
  oomKills(): number {
    let kills = 0
    for (const [folder, version] of this.folders) {
      const text = readOrEmpty(join(folder, version === 2 ? 'memory.events' : 'memory.oom_control'))
      kills += Number(/oom_kill (\d+)/.exec(text)?.[1] ?? 0)
    }
    return kills
  }

  /** Kills whatever still runs in the groups, then removes them. */
  async remove(): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const pids = this.members()
      if (pids.length === 0) break
      for (const pid of pids) killQuietly(pid)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    for (const folder of this.folders.keys()) removeGroup(folder)
  }

  private members(): number[] {
    const pids = new Set<number>()
    for (const file of this.procsFiles) for (const pid of readOrEmpty(file).split('\n').filter(Boolean)) pids.add(Number(pid))
    return [...pids]
  }
}

function placeController(controller: Controller): Placement {
  const mount = mountOf(controller)
  if (!mount) return { controller, unavailable: 'no cgroup hierarchy has this controller' }
  const own = join(mount.path, ownGroup(mount.version, controller) ?? '')
  const root = join(own, `socket-katas-grader-${process.pid}`)
  removeGroupsOfDeadGraders(own)
  try {
    mkdirSync(root, { recursive: true })
    if (mount.version === 2) enableForChildren(root)
    if (controller === 'cpu') weighAsManyTasks(root, mount.version)
    return { controller, root, version: mount.version }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'the grader may not create groups here (run it as root, or in a delegated cgroup)' : (error as Error).message
    return { controller, unavailable: `${why} (${root})` }
  }
}

/** A v2 group's children get the controllers only once its subtree_control names them. */
function enableForChildren(folder: string): void {
  const available = readOrEmpty(join(folder, 'cgroup.controllers')).split(/\s+/)
  const wanted = CONTROLLERS.filter((controller) => available.includes(controller))
  writeFileSync(join(folder, 'cgroup.subtree_control'), wanted.map((controller) => `+${controller}`).join(' '))
}

/**
 * The grader's parent group weighs against the rest of the machine as many tasks would, not one: a
 * task outside any group counts for one default weight, and without this every run together would
 * get no more CPU than a single outside process (a run keeps about four threads busy).
 */
function weighAsManyTasks(folder: string, version: 1 | 2): void {
  const tasks = 4 * 2 * availableParallelism()
  if (version === 2) writeFileSync(join(folder, 'cpu.weight'), String(Math.min(10_000, 100 * tasks)))
  else writeFileSync(join(folder, 'cpu.shares'), String(Math.min(262_144, 1024 * tasks)))
}

function writeLimit(folder: string, controller: Controller, version: 1 | 2, limits: RunLimits): void {
  const bytes = String(limits.memoryMiB * 1024 * 1024)
  const write = (file: string, value: string) => writeFileSync(join(folder, file), value)
  if (controller === 'memory' && version === 2) {
    write('memory.max', bytes)
    if (existsSync(join(folder, 'memory.swap.max'))) write('memory.swap.max', '0')
  } else if (controller === 'memory') {
    write('memory.limit_in_bytes', bytes)
    // memory plus swap at the same figure: no swap (absent when the kernel does not account swap).
    if (existsSync(join(folder, 'memory.memsw.limit_in_bytes'))) write('memory.memsw.limit_in_bytes', bytes)
  } else if (controller === 'pids') {
    write('pids.max', String(limits.processes))
  } else {
    // Every run the same weight: under load, each gets an equal share, whatever it starts.
    write(version === 2 ? 'cpu.weight' : 'cpu.shares', version === 2 ? '100' : '1024')
  }
}

interface Mount {
  path: string
  version: 1 | 2
}

/** The mount of the hierarchy that has `controller`: a v1 mount naming it, or the v2 mount listing it. */
function mountOf(controller: Controller): Mount | undefined {
  for (const line of readOrEmpty('/proc/self/mountinfo').split('\n')) {
    const [before, after] = line.split(' - ')
    if (!before || !after) continue
    const mountPoint = before.split(' ')[4]!
    const [fsType, , options = ''] = after.split(' ')
    if (fsType === 'cgroup' && options.split(',').includes(controller)) return { path: mountPoint, version: 1 }
    if (fsType === 'cgroup2' && readOrEmpty(join(mountPoint, 'cgroup.controllers')).split(/\s+/).includes(controller)) {
      return { path: mountPoint, version: 2 }
    }
  }
  return undefined
}

/** This process's group in that hierarchy, from /proc/self/cgroup ("4:memory:/a/b", "0::/a/b"). */
function ownGroup(version: 1 | 2, controller: Controller): string | undefined {
  for (const line of readOrEmpty('/proc/self/cgroup').split('\n')) {
    const [, controllers, path] = line.split(':')
    if (path === undefined) continue
    if (version === 2 ? controllers === '' : controllers!.split(',').includes(controller)) return path
  }
  return undefined
}

/** A grader that was killed leaves its (empty) groups behind: the next one removes them. */
function removeGroupsOfDeadGraders(folder: string): void {
  let names: string[] = []
  try {
    names = readdirSync(folder).filter((name) => /^socket-katas-grader-\d+$/.test(name))
  } catch {
    return
  }
  for (const name of names) {
    const pid = Number(name.split('-').at(-1))
    if (isAlive(pid)) continue
    const grader = join(folder, name)
    for (const run of readdirSync(grader).filter((entry) => entry.startsWith('run-'))) removeGroup(join(grader, run))
    removeGroup(grader)
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function removeGroup(folder: string): void {
  try {
    rmdirSync(folder)
  } catch {
    // still in use (a process the kernel has not reaped yet), or gone
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // gone already
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

