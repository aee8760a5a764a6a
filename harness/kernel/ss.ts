/**
 * Listening sockets as `ss` (iproute2) sees them. Only `ss` shows the backlog the kernel applied:
 * for a LISTEN socket, Send-Q is that backlog and Recv-Q the connections waiting to be accepted.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface Listener {
  localAddress: string
  localPort: number
  /** Connections that finished the handshake and wait in the accept queue. */
  waiting: number
  /** The accept queue's size as the kernel applied it: min(backlog, net.core.somaxconn). */
  backlog: number
}

/** Parses `ss -Hltn` output. `*` (dual-stack ::) and `[::1]` come back as "::" and "::1". */
export function parseListeners(text: string): Listener[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[0] === 'LISTEN' && fields.length >= 4)
    .map(([, receiveQ, sendQ, local]) => {
      const { address, port } = splitEndpoint(local!)
      return { localAddress: address, localPort: port, waiting: Number(receiveQ), backlog: Number(sendQ) }
    })
}

function splitEndpoint(text: string): { address: string; port: number } {
  const colon = text.lastIndexOf(':')
  const host = text.slice(0, colon).replace(/%[^\]]*$/, '').replace(/^\[(.*)\]$/, '$1')
  return { address: host === '*' ? '::' : host, port: Number(text.slice(colon + 1)) }
}

let availability: string | undefined | null = null

/** Why `ss` cannot be used here, or undefined when it can. */
export function ssUnavailable(): string | undefined {
  if (availability !== null) return availability
  if (process.platform !== 'linux') {
    availability = `the applied backlog is read with Linux's ss; ${process.platform} does not show it`
  } else {
    try {
      execFileSync('ss', ['-V'], { stdio: 'ignore' })
      availability = undefined
    } catch {
      availability = 'ss (iproute2) is not installed here; install iproute2 to run this check'
    }
  }
  return availability
}

/** The TCP listeners on `port` in this network namespace, read synchronously (safe with the event loop stopped). */
export function listenersOnPort(port: number): Listener[] {
  const output = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' })
  return parseListeners(output)
}

/** net.core.somaxconn: the kernel caps every listen backlog at this. */
export function somaxconn(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim()) || undefined
  } catch {
    return undefined
  }
}
