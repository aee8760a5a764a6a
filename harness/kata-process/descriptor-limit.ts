/**
 * A kata process that cannot open one more file descriptor: its RLIMIT_NOFILE lowered (util-linux
 * prlimit) to its lowest free descriptor, so the next socket() fails with EMFILE, as it does on a
 * server out of descriptors. That is how a test makes an implicit bind fail for real.
 *
 * Changing another process's limits takes CAP_SYS_RESOURCE or the same user; the grader's root may not
 * have the capability (it was dropped here), so for a kata process with an identity of its own, prlimit
 * runs as that user.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import type { Identity } from './identities.ts'

let reason: string | undefined | null = null

/** Why a process's descriptor limit cannot be lowered here, or undefined when it can. */
export function descriptorLimitUnavailable(): string | undefined {
  if (reason !== null) return reason
  if (process.platform !== 'linux') reason = `a process's descriptor limit is lowered with Linux's prlimit; ${process.platform} has none`
  else if (spawnSync('prlimit', ['--version'], { stdio: 'ignore' }).status !== 0) reason = 'prlimit (util-linux) is not installed here'
  else reason = undefined
  return reason
}

/**
 * Runs `body` while process `pid` (running as `identity`, if it has one of its own) can open no new
 * descriptor (or only `spare` more: its lowest free ones), then gives it its limit back.
 */
export async function withNoFreeDescriptor<T>(pid: number, identity: Identity | undefined, body: () => Promise<T>, spare = 0): Promise<T> {
  // stderr piped: it goes into a thrown error's message, never onto the learner's screen
  const run = (command: string, args: string[]) => execFileSync(...asUser(identity, command, args), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const [soft, hard] = run('prlimit', ['--pid', String(pid), '--nofile', '--raw', '--noheadings', '--output=SOFT,HARD']).trim().split(/\s+/)
  const listing = run(process.execPath, ['-e', `process.stdout.write(require('fs').readdirSync('/proc/${pid}/fd').join(' '))`])
  const used = new Set(listing.split(' ').map(Number))
  let lowestFree = 0
  while (used.has(lowestFree)) lowestFree++
  // The limit is one past the highest descriptor allowed: leave `spare` free ones below it.
  for (let left = spare; left > 0; left--) {
    lowestFree++
    while (used.has(lowestFree)) lowestFree++
  }
  run('prlimit', ['--pid', String(pid), `--nofile=${lowestFree}:${hard}`])
  try {
    return await body()
  } finally {
    try {
      run('prlimit', ['--pid', String(pid), `--nofile=${soft}:${hard}`])
    } catch {
      // the process has ended: nothing to give back
    }
  }
}

function asUser(identity: Identity | undefined, command: string, args: string[]): [string, string[]] {
  if (!identity) return [command, args]
  return ['setpriv', ['--reuid', String(identity.uid), '--regid', String(identity.gid), '--clear-groups', '--', command, ...args]]
}
