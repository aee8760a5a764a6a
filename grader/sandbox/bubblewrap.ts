/**
 * What a grading run sees, built with bubblewrap (bwrap, the sandbox Flatpak uses): its own PID,
 * network (loopback only), IPC and UTS namespaces and its own /proc; a filesystem made of the
 * system's programs and libraries, read-only, the parts of the project that run the tests,
 * read-only, the run's own scratch folder, and a private size-limited /tmp. Nothing else of the
 * host is there: not solutions/, not .git, not the submissions or the output folder, not another
 * run's files, not docker.sock.
 *
 * As root, the run keeps only the capabilities the harness needs to start kata processes as
 * throwaway users, stop them and read their descriptors (RUN_CAPABILITIES), under no_new_privs
 * (bwrap always sets it).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** What of the project a run needs to run the kata tests (the grading image holds the same): not solutions, fixtures, tools or .git. */
export const PROJECT_ENTRIES = ['package.json', 'tsconfig.json', 'vitest.config.ts', 'harness', 'katas', 'grader', 'node_modules']

/** The system folders programs and libraries come from; merged-/usr hosts have some as links. */
const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc']

/**
 * The test process's, as root, here and in docker isolation: start kata processes as other users and stop them; read their
 * descriptors (/proc/<pid>/fd of another user's process), so the kernel's sockets are told apart by
 * inode: by uid alone, a closed socket lingers as the kata user's and the suite runs about 1.8× as long;
 * connect to a Unix socket the student's code made (kata 16), which only its owner may write to
 * (DAC_OVERRIDE). A kata process keeps none of them (setpriv clears them as it changes user).
 */
export const RUN_CAPABILITIES = ['CAP_SETUID', 'CAP_SETGID', 'CAP_KILL', 'CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH', 'CAP_DAC_OVERRIDE']

export interface SandboxView {
  projectRoot: string
  /** The Node binary the run starts (grader/grading-node.ts); its installation is bound readable by every user. */
  node: string
  /** Read-only folders the run also needs: the implementation under test when it is not staged, a --tests folder. */
  readOnly: string[]
  /** The run's own folder (staged kata files, events file, key), read-write for the test process only (0700). */
  scratch: string
  /** Size of the private /tmp, the only place the student's code can write. */
  tmpMiB: number
}

export function bubblewrapArgs(view: SandboxView, asRoot: boolean): string[] {
  return [
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--die-with-parent',
    '--new-session',
    ...(asRoot ? ['--cap-drop', 'ALL', ...RUN_CAPABILITIES.flatMap((cap) => ['--cap-add', cap])] : []),
    '--proc', '/proc',
    '--dev', '/dev',
    // /tmp first: what is bound after it (the project, Node, the scratch folder) may live under the host's /tmp.
    '--perms', '1777', '--size', String(view.tmpMiB * 1024 * 1024), '--tmpfs', '/tmp',
    ...systemFolders(),
    ...readableByEveryone(nodeInstallation(view.node)),
    ...PROJECT_ENTRIES.flatMap((entry) => readOnlyBind(join(view.projectRoot, entry))),
    ...view.readOnly.flatMap(readOnlyBind),
    '--bind', view.scratch, view.scratch,
    '--chdir', view.projectRoot,
    '--',
  ]
}

function systemFolders(): string[] {
  return SYSTEM_FOLDERS.filter((folder) => existsSync(folder)).flatMap((folder) => {
    const info = lstatSync(folder)
    return info.isSymbolicLink() ? ['--symlink', readlinkSync(folder), folder] : readOnlyBind(folder)
  })
}

function readOnlyBind(path: string): string[] {
  return existsSync(path) ? ['--ro-bind', path, path] : []
}

/**
 * A read-only bind that every user can reach: bwrap makes the missing folders above a bind 0700, and
 * the kata processes run Node as other users. (Under a system folder they exist already, bound as they are.)
 */
function readableByEveryone(path: string): string[] {
  const ancestors: string[] = []
  for (let folder = dirname(path); folder !== '/' && !SYSTEM_FOLDERS.some((system) => folder === system || folder.startsWith(`${system}/`)); folder = dirname(folder)) {
    ancestors.unshift(folder)
  }
  return [...ancestors.flatMap((folder) => ['--perms', '0755', '--dir', folder]), ...readOnlyBind(path)]
}

/** The folder Node is installed in (…/bin/node → …), which need not be under /usr. */
function nodeInstallation(node: string): string {
  return dirname(dirname(realpathSync(node)))
}

/** Why bwrap cannot make this sandbox here, or undefined when an empty one starts `true`. */
export function bubblewrapProblem(view: SandboxView, asRoot: boolean): string | undefined {
  const probe = spawnSync('bwrap', [...bubblewrapArgs(view, asRoot), 'true'], { encoding: 'utf8', timeout: 10_000 })
  if (probe.error) return `bubblewrap (bwrap) is not installed (${(probe.error as NodeJS.ErrnoException).code}); on Debian or Ubuntu: apt install bubblewrap`
  if (probe.status !== 0) return `bubblewrap cannot make its namespaces here: ${probe.stderr.trim().split('\n')[0] || `exit ${probe.status}`}`
  return undefined
}
