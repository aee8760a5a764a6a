/**
 * Everything a kata process's user still runs once that kata process has ended: children it
 * detached, daemons it left to wait for the next kata. In grading every kata process runs as a user
 * of its own; killing all of that user's processes is what keeps one kata file's code from reaching
 * the kata processes that come after it (the same uid comes round again) or the tests of another kata.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** How many sweeps a user gets to stop forking: each kills every process of theirs seen in /proc. */
const SWEEPS = 50

/** Kills every process of `uid` this process can see; returns how many it killed. */
export function killProcessesOf(uid: number): number {
  if (process.platform !== 'linux') return 0
  let killed = 0
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const pids = processesOf(uid)
    if (pids.length === 0) break
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
        killed++
      } catch {
        // gone already, or not ours to signal: the next sweep sees
      }
    }
  }
  return killed
}

function processesOf(uid: number): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    if (realUidOf(pid) === uid) pids.push(pid)
  }
  return pids
}

/** The real uid on the "Uid:" line of /proc/<pid>/status (world-readable), or undefined when the process is gone. */
function realUidOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const line = /^Uid:\s+(\d+)/m.exec(status)
    return line ? Number(line[1]) : undefined
  } catch {
    return undefined
  }
}
