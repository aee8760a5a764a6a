/**
 * After each test, for each kata under test: release what the test owns in the kata process, collect
 * what the learner's code printed, and find what it left behind. A socket still open is the kernel's
 * word (the kata process's rows in /proc/net, after a short grace for sockets still closing); a timer
 * still pending is the kata process's own account, since no kernel shows timers. A kata process that
 * crashed, got stuck or leaked is retired; the next test starts a fresh one.
 */
import type { KernelSocket, UnixSocket } from '../kernel/proc-net.ts'
import { procNetUnavailable, unixSocketsOwnedBy } from '../kernel/proc-net.ts'
import { within, sleep } from '../lifecycle/within.ts'
import { endpoint } from '../sockets/addresses.ts'
import type { KataProcess } from './kata-process.ts'
import type { KataUnderTest } from './kata-under-test.ts'
import type { Leftover } from './protocol.ts'
import { addStrykerCoverage, strykerState } from './stryker-bridge.ts'

/** A socket closed just before the test ended can take a moment to leave the kernel's table; a leaked one stays. */
const LEAK_GRACE_MS = 500
/** How long a kata process that is not stuck may take to answer at the end of a test. */
const ANSWER_MS = 2000

export interface EndOfTest {
  /** What fails the test: the learner's leaks, an unhandled error. */
  problems: string[]
  /** What the learner's code printed during the test. */
  output: string
}

export async function beginTest(kata: KataUnderTest<unknown>): Promise<void> {
  const process = await kata.running()
  if (process?.alive) await within(ANSWER_MS, 'the kata process never answered at the start of the test', process.testStart(strykerState()))
}

export async function endTest(kata: KataUnderTest<unknown>, failed: boolean): Promise<EndOfTest> {
  const process = await kata.running()
  if (!process) return { problems: [], output: '' }
  process.thaw()
  if (process.stuck || !process.alive) return endStopped(kata, process)

  const released = await within(ANSWER_MS, 'the kata process never answered at the end of the test', process.release()).catch(() => undefined)
  if (!released) return endStopped(kata, process)
  addStrykerCoverage(released.stryker)
  const { output } = released
  const leaks = await leftBehind(process, released.leftovers)
  const problems = leaks.length > 0 && !failed ? [describeLeaks(leaks)] : []
  const ended = process.takeEndReason()
  if (ended) problems.unshift(ended)
  if (leaks.length > 0 || !process.alive) await kata.retire()
  return { problems, output }
}

/** A kata process that crashed, ended or is stuck in the learner's code: say why (once), and replace it. */
async function endStopped(kata: KataUnderTest<unknown>, process: KataProcess): Promise<EndOfTest> {
  const output = process.takeOutput()
  const reason = process.takeEndReason()
  await kata.retire()
  return { problems: reason ? [reason] : [], output }
}

/** What the learner's code still holds: sockets as the kernel shows them (elsewhere, as the kata process tells), and timers. */
async function leftBehind(process: KataProcess, leftovers: Leftover[]): Promise<string[]> {
  const timers = leftovers.filter((leftover) => leftover.kind === 'timer' || leftover.kind === 'interval' || leftover.kind === 'handle')
  const sockets = procNetUnavailable() ? leftovers.filter((leftover) => !timers.includes(leftover)).map(describeLeftover) : await kernelLeaks(process, leftovers)
  return [...sockets, ...timers.map(describeLeftover)]
}

async function kernelLeaks(process: KataProcess, leftovers: Leftover[]): Promise<string[]> {
  const giveUpAt = performance.now() + LEAK_GRACE_MS
  while (holdsSockets(process) && performance.now() < giveUpAt) await sleep(10)
  if (!holdsSockets(process)) return []
  const open = process.sockets('any')
  const unix = (process.alive ? unixSocketsOwnedBy(process.socketOwner) : undefined) ?? []
  return [...open.map((row) => describeRow(row, leftovers.find((leftover) => leftover.localPort === row.localPort))), ...unix.map(describeUnixRow)]
}

/** "a Unix socket server listening on /tmp/k16-x/server.sock", from /proc/net/unix (which has no port to match a leftover by). */
function describeUnixRow(row: UnixSocket): string {
  if (row.listening) return `a Unix socket server listening on ${row.path || 'an unnamed socket'}`
  if (row.state === '03') return row.path ? `a Unix socket connection accepted on ${row.path}` : 'a Unix socket connection (a client\'s end: it has no path of its own)'
  return `a Unix ${row.type} socket${row.path ? ` bound to ${row.path}` : ''}, not connected`
}

/**
 * Whether the kata process holds any socket but its channel. Its file descriptors say so cheaply;
 * the kernel's tables, slow to read where the connection hash table is large, only name what it holds.
 */
function holdsSockets(process: KataProcess): boolean {
  const inodes = process.socketInodes()
  if (inodes !== undefined) return inodes.length > 0
  return process.sockets('any').length > 0
}

/** "a TCP connection from 127.0.0.1:41234 to 127.0.0.1:5000, ESTAB in the kernel (unref()'d)" */
function describeRow(row: KernelSocket, leftover: Leftover | undefined): string {
  const local = endpoint(row.localAddress, row.localPort)
  const remote = endpoint(row.remoteAddress, row.remotePort)
  const what =
    row.protocol === 'udp'
      ? `a UDP socket bound to ${local}`
      : row.state === 'LISTEN'
        ? `a TCP server listening on ${local}`
        : row.state === 'SYN-SENT'
          ? `a TCP connection attempt from ${local} to ${remote}, in SYN-SENT in the kernel`
          : `a TCP connection ${local} <-> ${remote}, ${row.state} in the kernel`
  return `${what}${leftover && !leftover.ref ? " (unref()'d, so it would not even keep a program alive: it just stays open)" : ''}`
}

function describeLeftover(leftover: Leftover): string {
  return `${leftover.description}${leftover.ref ? '' : " (unref()'d)"}`
}

function describeLeaks(leaks: string[]): string {
  return [
    'Left open after the test ended, by your code:',
    ...leaks.map((leak) => `  - ${leak}`),
    'Close every socket you open (server.close(), socket.destroy(), udpSocket.close()) and clear every timer once it is no longer needed, on failure too.',
  ].join('\n')
}
