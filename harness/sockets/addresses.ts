import { readFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'

/** "127.0.0.1:41234" or "[::1]:41234", the way `ss` and browsers write an endpoint. */
export function endpoint(address: string, port: number | string): string {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`
}

/** "listening on 127.0.0.1:41234", or "not listening" (yet, or any more). */
export function listeningState(server: net.Server): string {
  const address = server.address()
  if (address === null) return 'not listening'
  if (typeof address === 'string') return `listening on a pipe at ${address}`
  return `listening on ${endpoint(address.address, address.port)}`
}

const usable = new Map<string, Promise<boolean>>()

/**
 * Whether this host can listen on `address` (probed once with a port-0 listener and cached).
 * On Linux all of 127.0.0.0/8 is loopback; macOS has only 127.0.0.1, and IPv6 may be off.
 */
function canListenOn(address: string): Promise<boolean> {
  let answer = usable.get(address)
  if (!answer) {
    answer = new Promise<boolean>((resolve) => {
      const probe = net.createServer()
      probe.once('error', () => resolve(false))
      probe.listen(0, address, () => probe.close(() => resolve(true)))
    })
    usable.set(address, answer)
  }
  return answer
}

/** Why a check that needs `address` cannot run here, or undefined when it can. */
export async function missingAddressReason(address: string): Promise<string | undefined> {
  if (await canListenOn(address)) return undefined
  return net.isIPv6(address)
    ? `IPv6 loopback ${address} is not available on this host (IPv6 is off or this is a network-less container)`
    : `${address} is not a local address on this host (only Linux treats all of 127.0.0.0/8 as loopback)`
}

/** RFC 5737 documentation addresses: never routed, almost never assigned to a host. */
const DOCUMENTATION_ADDRESSES = ['203.0.113.7', '198.51.100.7', '192.0.2.7']

/** An IPv4 address this host does not have, where binding to it must fail; or why there is none. */
export function addressNotOnThisHost(): { address: string } | { unavailable: string } {
  if (nonLocalBindAllowed()) {
    return { unavailable: 'net.ipv4.ip_nonlocal_bind is 1 here, so binding any address succeeds' }
  }
  const local = new Set(
    Object.values(os.networkInterfaces())
      .flat()
      .map((info) => info?.address),
  )
  const address = DOCUMENTATION_ADDRESSES.find((candidate) => !local.has(candidate))
  return address ? { address } : { unavailable: 'every candidate documentation address is assigned to this host' }
}

function nonLocalBindAllowed(): boolean {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_nonlocal_bind', 'utf8').trim() === '1'
  } catch {
    return false
  }
}

/** The process a privileged-port check is about: its user, and its pid (whose capabilities count). */
export interface BindingProcess {
  uid: number | undefined
  pid: number
}

/**
 * A port `binder` may not bind (below net.ipv4.ip_unprivileged_port_start); or why there is none
 * here. Root, or any user whose process holds CAP_NET_BIND_SERVICE (setcap on node, an ambient
 * capability), may bind them all. Linux only: the rule and its setting differ elsewhere.
 */
export function privilegedPort(binder: BindingProcess): { port: number } | { unavailable: string } {
  if (process.platform !== 'linux') return { unavailable: `privileged ports are checked on Linux only, not ${process.platform}` }
  if (mayBindPrivilegedPorts(binder.pid)) {
    return { unavailable: binder.uid === 0 ? 'running as root, which may bind any port' : 'your code runs with CAP_NET_BIND_SERVICE, which may bind any port' }
  }
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim())
    if (start <= 1) return { unavailable: 'net.ipv4.ip_unprivileged_port_start is 0 here: every port is unprivileged' }
    return { port: start - 1 }
  } catch {
    return { unavailable: 'net.ipv4.ip_unprivileged_port_start cannot be read here' }
  }
}

const CAP_NET_BIND_SERVICE = 10n

/** Whether the process `pid` holds CAP_NET_BIND_SERVICE (its effective set, as /proc/<pid>/status shows it). */
export function mayBindPrivilegedPorts(pid: number): boolean {
  const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  if (effective === undefined) throw new Error(`/proc/${pid}/status shows no CapEff line`)
  return ((BigInt(`0x${effective}`) >> CAP_NET_BIND_SERVICE) & 1n) === 1n
}
