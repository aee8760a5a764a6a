/**
 * npm run grade:image [-- --image NAME]: builds the image --isolation docker runs submissions in,
 * offline: no base image is pulled. It holds this machine's own Node binary, ss (for the backlog
 * kata), the shared libraries both need, and the grader's tree (tests, harness, node_modules without
 * the devDependencies: grading runs on what a learner's install holds).
 * It is built through the Docker API, so DOCKER_HOST may point at another machine.
 */
import { execFileSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { dim, green } from '../harness/reporting/colors.ts'
import { ensureDevDependencies } from '../harness/dev-dependencies.ts'
import { projectRoot } from '../harness/paths.ts'
import { formatDuration } from '../harness/lifecycle/within.ts'
import { PROJECT_ENTRIES } from './sandbox/bubblewrap.ts'
import { gradingNode } from './grading-node.ts'

export const DEFAULT_IMAGE = 'socket-katas-grader'
export const GRADER_DIR = '/grader'
export const NODE_IN_IMAGE = '/usr/local/bin/node'


/** What one image built from this project's pieces holds beyond them, and how it starts. */
export interface ImageRecipe {
  dockerfile: string
  /** Project files and folders beyond the grader's tree (PROJECT_ENTRIES), copied to the same place under GRADER_DIR. */
  extraEntries: string[]
}

const GRADING_IMAGE: ImageRecipe = {
  dockerfile: `FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/scratch TMPDIR=/scratch LANG=C.UTF-8
WORKDIR ${GRADER_DIR}
VOLUME ["/submission", "/tests"]
CMD ["${NODE_IN_IMAGE}", "-e", "setInterval(() => {}, 1 << 30)"]
`,
  extraEntries: [],
}

export async function buildImage(image: string, log: (line: string) => void = console.log, recipe: ImageRecipe = GRADING_IMAGE): Promise<void> {
  if (process.platform !== 'linux') throw new Error('the grading image is built from this machine\'s Node binary, which must be a Linux one')
  await ensureDevDependencies('the image is built through testcontainers')
  const context = await mkdtemp(join(tmpdir(), 'socket-katas-image-'))
  try {
    const rootfs = join(context, 'rootfs')
    const node = await gradingNode()
    if (node.instead) log(dim(`the image holds Node ${node.version}, not this one: ${node.instead}`))
    await copyInto(rootfs, node.path, NODE_IN_IMAGE)
    const ss = which('ss')
    if (ss) await copyInto(rootfs, ss, '/usr/bin/ss')
    // The kata processes start under setpriv: another user, no new privileges, dead with their parent.
    // prlimit leaves one without a free descriptor, for kata 06's failed implicit bind.
    const setpriv = which('setpriv')
    if (setpriv) await copyInto(rootfs, setpriv, '/usr/bin/setpriv')
    const prlimit = which('prlimit')
    if (prlimit) await copyInto(rootfs, prlimit, '/usr/bin/prlimit')
    if (!ss) log(dim('ss is not installed here, so the image has none: the backlog checks will skip, for everyone alike'))
    const grader = join(rootfs, GRADER_DIR.slice(1))
    const devPackages = await devPackageFolders()
    for (const entry of [...PROJECT_ENTRIES, ...recipe.extraEntries]) {
      // A worktree's node_modules may be a link to another checkout's: what it holds is copied, not the link.
      const from = await realpath(join(projectRoot, entry))
      await cp(from, join(grader, entry), { recursive: true, filter: (source) => !devPackages.has(join(projectRoot, entry, relative(from, source))) })
    }
    const binaries = [node.path, ss, setpriv, prlimit].filter((binary): binary is string => binary !== undefined)
    for (const library of await sharedLibraries([...binaries, ...(await nativeAddons(join(grader, 'node_modules')))])) {
      await copyInto(rootfs, library, library)
    }
    await mkdir(join(rootfs, 'scratch'))
    await writeFile(join(context, 'Dockerfile'), recipe.dockerfile)
    log(dim(`building ${image} from ${node.path} (node v${node.version})${ss ? ` and ${ss}` : ''}`))
    process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true'
    const { GenericContainer } = await import('testcontainers')
    await GenericContainer.fromDockerfile(context).build(image, { deleteOnExit: false })
  } finally {
    await rm(context, { recursive: true, force: true })
  }
}

async function copyInto(rootfs: string, source: string, target: string): Promise<void> {
  await mkdir(join(rootfs, dirname(target)), { recursive: true })
  await cp(await realpath(source), join(rootfs, target))
}

function which(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/** Every shared library (and the dynamic loader) the given binaries load, as ldd lists them. */
async function sharedLibraries(binaries: string[]): Promise<string[]> {
  const libraries = new Set<string>()
  for (const binary of binaries) {
    const listing = execFileSync('ldd', [binary], { encoding: 'utf8' })
    for (const match of listing.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) libraries.add(match[1]!)
  }
  return [...libraries]
}

/** The folders of the packages package-lock.json marks dev (needed by devDependencies alone), and of scopes holding only those. */
async function devPackageFolders(): Promise<Set<string>> {
  const lock = JSON.parse(await readFile(join(projectRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }
  const packages = Object.entries(lock.packages).filter(([folder]) => folder !== '')
  const dev = packages.filter(([, entry]) => entry.dev).map(([folder]) => folder)
  const keptParents = new Set(packages.filter(([, entry]) => !entry.dev).map(([folder]) => dirname(folder)))
  const devScopes = dev.map(dirname).filter((parent) => basename(parent).startsWith('@') && !keptParents.has(parent))
  return new Set([...dev, ...devScopes].map((folder) => join(projectRoot, folder)))
}

/** Native Node add-ons under node_modules (Vite's bundler, CSS tools): their libraries must be in the image too. */
async function nativeAddons(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true })
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.node')).map((entry) => join(entry.parentPath, entry.name))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { image: { type: 'string', default: DEFAULT_IMAGE } } })
  const started = performance.now()
  await buildImage(values.image!)
  console.log(green(`Built ${values.image} in ${formatDuration(performance.now() - started)}.`))
}
