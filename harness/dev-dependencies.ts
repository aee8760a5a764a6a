/**
 * A learner's `npm install` leaves the devDependencies out (.npmrc: omit=dev): what only docker
 * isolation, the browser test and mutation testing use. The commands that need them call
 * ensureDevDependencies() first, which installs them once, from package-lock.json like the rest.
 */
import { existsSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { projectRoot } from './paths.ts'
import { dim } from './reporting/colors.ts'
import { runCommand } from './run-command.ts'

/** The devDependencies not installed at the version package.json pins. */
export function missingDevDependencies(root = projectRoot): string[] {
  const { devDependencies = {} } = readJson(join(root, 'package.json')) as { devDependencies?: Record<string, string> }
  return Object.entries(devDependencies)
    .filter(([name, version]) => installedVersion(root, name) !== version)
    .map(([name]) => name)
}

export async function ensureDevDependencies(why: string): Promise<void> {
  const missing = missingDevDependencies()
  if (missing.length === 0) return
  console.error(dim(`Installing, once, the devDependencies a learner's install leaves out (${missing.join(', ')}; pinned in package-lock.json): ${why}.`))
  // npm install rather than npm ci: ci would first delete node_modules, the tools this very command runs on.
  // The lockfile is left as it is (--no-save); cached packages are used first, so this works offline once npm has them.
  const { exitCode, output } = await runCommand(...npm(['install', '--include=dev', '--no-save', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']))
  if (exitCode !== 0) throw new Error(`npm install --include=dev failed (exit code ${exitCode}):\n${output.trim()}`)
}

/** The npm that started this command (npm run), so that the same one installs; else npm from PATH. */
function npm(args: string[]): [string, string[]] {
  const cli = process.env.npm_execpath
  return cli && basename(cli) === 'npm-cli.js' ? [process.execPath, [cli, ...args]] : ['npm', args]
}

function installedVersion(root: string, name: string): string | undefined {
  const manifest = join(root, 'node_modules', name, 'package.json')
  return existsSync(manifest) ? (readJson(manifest) as { version?: string }).version : undefined
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'))
}
