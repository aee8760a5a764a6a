/**
 * A kata process that cannot open one more file descriptor: its RLIMIT_NOFILE lowered (util-linux
 * prlimit) to its lowest free descriptor, so the next socket() fails with EMFILE, as it does on a
 * server out of descriptors. That is how a test makes an implicit bind fail for real.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'

let reason: string | undefined | null = null

/** Why a process's descriptor limit cannot be lowered here, or undefined when it can. */
export function descriptorLimitUnavailable(): string | undefined {
  if (reason !== null) return reason
  if (process.platform !== 'linux') reason = `a process's descriptor limit is lowered with Linux's prlimit; ${process.platform} has none`
  else if (spawnSync('prlimit', ['--version'], { stdio: 'ignore' }).status !== 0) reason = 'prlimit (util-linux) is not installed here'
  else reason = undefined
  return reason
}

/** Runs `body` while process `pid` can open no new descriptor, then gives it its limit back. */
export async function withNoFreeDescriptor<T>(pid: number, body: () => Promise<T>): Promise<T> {
  const [soft, hard] = execFileSync('prlimit', ['--pid', String(pid), '--nofile', '--raw', '--noheadings', '--output=SOFT,HARD'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
  setLimit(pid, `${lowestFreeDescriptor(pid)}:${hard}`)
  try {
    return await body()
  } finally {
    try {
      setLimit(pid, `${soft}:${hard}`)
    } catch {
      // the process has ended: nothing to give back
    }
  }
}

function setLimit(pid: number, limit: string): void {
  execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}`], { stdio: 'ignore' })
}

function lowestFreeDescriptor(pid: number): number {
  const used = new Set(readdirSync(`/proc/${pid}/fd`).map(Number))
  let fd = 0
  while (used.has(fd)) fd++
  return fd
}
