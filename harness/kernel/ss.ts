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

/** A TCP connection's pending timer, as `ss -o` shows it: `timer:(keepalive,4.996ms,0)`. */
export interface TcpTimer {
  /** 'keepalive', 'on' (retransmission), 'persist', 'timewait', ... */
  name: string
  /** Time left until it fires, in ms: to the ms under 10 s, whole seconds under 10 min, whole minutes above (ss rounds down). */
  remainingMs: number
  /** The third field: for 'keepalive', the probes sent and not answered yet. */
  count: number
  /** As ss printed it. */
  text: string
}

/**
 * One of ss's durations (iproute2's print_ms_timer) in ms: "4.996ms" (4 s 996 ms), "500ms", "7sec",
 * "1min5sec", "119min"; an empty one (a timer due now) is 0. Undefined for anything else.
 */
export function parseSsDuration(text: string): number | undefined {
  const match = /^(?:(\d+)min)?(?:(\d+)(?:sec|\.(?=\d+ms$)))?(?:(\d+)ms)?$/.exec(text)
  if (!match) return undefined
  const [, minutes = '0', seconds = '0', ms = '0'] = match
  return Number(minutes) * 60_000 + Number(seconds) * 1000 + Number(ms)
}

/** The timer an `ss -o` row shows, or undefined when it shows none. */
export function parseTcpTimer(row: string): TcpTimer | undefined {
  const match = /timer:\(([^,()]+),([^,()]*),(\d+)\)/.exec(row)
  if (!match) return undefined
  const remainingMs = parseSsDuration(match[2]!)
  if (remainingMs === undefined) return undefined
  return { name: match[1]!, remainingMs, count: Number(match[3]), text: match[0] }
}

/** A TCP connection as `ss -tno` shows it: its state, the row as printed, and its pending timer if any. */
export interface TcpConnectionView {
  state: string
  row: string
  timer?: TcpTimer
}

/**
 * The kernel's row for the TCP connection from local port `localPort` to remote port `remotePort`
 * (IPv4 or IPv6), read with `ss -tnoH`; undefined when there is none.
 */
export function tcpConnectionView(localPort: number, remotePort: number): TcpConnectionView | undefined {
  const output = execFileSync('ss', ['-tnoH', `sport = :${localPort} and dport = :${remotePort}`], { encoding: 'utf8' })
  const row = output
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .find((line) => line.length > 0)
  if (!row) return undefined
  return { state: row.split(' ')[0]!, row, timer: parseTcpTimer(row) }
}
