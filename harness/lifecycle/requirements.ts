/**
 * Checks that only some hosts can run: each skips the test, with the reason printed, where the
 * host cannot show the truth, so the rest of the kata still runs everywhere.
 */
import { execFileSync } from 'node:child_process'
import type { TestContext } from 'vitest'
import { addressNotOnThisHost, missingAddressReason, privilegedPort, type BindingProcess } from '../sockets/addresses.ts'
import { procNetUnavailable } from '../kernel/proc-net.ts'
import { ssUnavailable } from '../kernel/ss.ts'
import { reusePortUnsupported } from '../node-features.ts'

/** Skips unless this host can listen on `address` (127.0.0.2 is Linux-only; ::1 needs IPv6). */
export async function requireAddress(context: TestContext, address: string): Promise<void> {
  const reason = await missingAddressReason(address)
  if (reason) context.skip(reason)
}

/** Skips off Linux, where a behaviour was measured only there; `why` says what. */
export function requireLinux(context: TestContext, why: string): void {
  if (process.platform !== 'linux') context.skip(why)
}

/** Skips unless the kernel's socket table (/proc/net) can be read. */
export function requireKernelSocketTable(context: TestContext): void {
  const reason = procNetUnavailable()
  if (reason) context.skip(reason)
}

/** Skips unless `ss` can show listeners' accept queues. */
export function requireSs(context: TestContext): void {
  const reason = ssUnavailable() ?? procNetUnavailable()
  if (reason) context.skip(reason)
}

/** An IPv4 address this host does not have; skips where there is none to be had. */
export function requireForeignAddress(context: TestContext): string {
  const foreign = addressNotOnThisHost()
  if ('unavailable' in foreign) context.skip(foreign.unavailable)
  return (foreign as { address: string }).address
}

/** A port below the unprivileged range, which `binder` may not bind; skips where it may (root, CAP_NET_BIND_SERVICE) and off Linux. */
export function requirePrivilegedPort(context: TestContext, binder: BindingProcess): number {
  const privileged = privilegedPort(binder)
  if ('unavailable' in privileged) context.skip(privileged.unavailable)
  return (privileged as { port: number }).port
}

/** Skips where the OS caps a UDP datagram below `bytes` (macOS: net.inet.udp.maxdgram, 9216 by default). */
export function requireUdpDatagramsOf(context: TestContext, bytes: number): void {
  if (process.platform !== 'darwin') return
  try {
    const cap = Number(execFileSync('sysctl', ['-n', 'net.inet.udp.maxdgram'], { encoding: 'utf8' }).trim())
    if (cap < bytes) context.skip(`this OS sends UDP datagrams of at most ${cap} bytes (sysctl net.inet.udp.maxdgram)`)
  } catch {
    context.skip('the largest UDP datagram this OS sends (sysctl net.inet.udp.maxdgram) cannot be read')
  }
}

/** Skips unless the Node that runs the learner's code honours reusePort: the kata process runs this very binary (process.execPath). */
export function requireReusePort(context: TestContext): void {
  const reason = reusePortUnsupported()
  if (reason) context.skip(`${reason}; the lesson shows the same in Python`)
}
