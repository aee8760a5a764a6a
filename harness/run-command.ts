import { spawn } from 'node:child_process'
import { projectRoot } from './paths.ts'

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  /** Run as this user and group (needs root). */
  uid?: number
  gid?: number
}

/** Runs a command from the project root and collects everything it prints (stdout and stderr, interleaved). */
export function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const { env = process.env, uid, gid } = options
    const child = spawn(command, args, { cwd: projectRoot, env, uid, gid, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('error', reject)
    child.once('close', (exitCode) => resolve({ exitCode, output }))
  })
}
