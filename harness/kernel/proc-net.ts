/**
 * The kernel's own table of sockets, read from Linux's /proc/net/{tcp,tcp6,udp,udp6}.
 * Elsewhere `procNetUnavailable()` gives the reason a test should print when it skips.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { endpoint } from '../sockets/addresses.ts'

export type Protocol = 'tcp' | 'udp'

/** TCP states as the kernel numbers them (include/net/tcp_states.h), named as `ss` names them. */
const TCP_STATES: Record<string, string> = {
  '01': 'ESTAB',
  '02': 'SYN-SENT',
  '03': 'SYN-RECV',
  '04': 'FIN-WAIT-1',
  '05': 'FIN-WAIT-2',
  '06': 'TIME-WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE-WAIT',
  '09': 'LAST-ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
}

export interface KernelSocket {
  protocol: Protocol
  /** 'LISTEN', 'ESTAB', 'SYN-SENT', ...; an unconnected UDP socket is 'UNCONN', a connected one 'ESTAB'. */
  state: string
  localAddress: string
  localPort: number
  remoteAddress: string
  remotePort: number
  /** Bytes (or, for a listener, connections) waiting in the receive / send queues. */
  receiveQueue: number
  sendQueue: number
  /** 0 for sockets no process owns any more (TIME-WAIT). */
  inode: number
}

/** Parses the text of one /proc/net table (tcp, tcp6, udp or udp6). */
export function parseProcNet(text: string, protocol: Protocol): KernelSocket[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => parseRow(line, protocol))
}

function parseRow(line: string, protocol: Protocol): KernelSocket {
  const fields = line.split(/\s+/)
  const [local = '', remote = '', state = '', queues = '0:0'] = fields.slice(1, 5)
  const [sendQueue = '0', receiveQueue = '0'] = queues.split(':')
  const localEnd = parseEndpoint(local)
  const remoteEnd = parseEndpoint(remote)
  return {
    protocol,
    state: protocol === 'udp' ? (state === '01' ? 'ESTAB' : 'UNCONN') : (TCP_STATES[state] ?? state),
    localAddress: localEnd.address,
    localPort: localEnd.port,
    remoteAddress: remoteEnd.address,
    remotePort: remoteEnd.port,
    receiveQueue: parseInt(receiveQueue, 16),
    sendQueue: parseInt(sendQueue, 16),
    inode: Number(fields[9] ?? 0),
  }
}

function parseEndpoint(field: string): { address: string; port: number } {
  const [hexAddress = '', hexPort = '0'] = field.split(':')
  return { address: decodeAddress(hexAddress), port: parseInt(hexPort, 16) }
}

/**
 * /proc/net writes an address as 32-bit words in host byte order: one word for IPv4, four for IPv6.
 * Returns Node's spelling: "127.0.0.1", "::1", "::ffff:127.0.0.1".
 */
export function decodeAddress(hex: string): string {
  const bytes: number[] = []
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes = Buffer.from(hex.slice(word, word + 8), 'hex')
    bytes.push(...(isLittleEndianHost ? [...wordBytes].reverse() : wordBytes))
  }
  return bytes.length === 4 ? bytes.join('.') : formatIPv6(bytes)
}

const isLittleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function formatIPv6(bytes: number[]): string {
  const isV4Mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff
  if (isV4Mapped) return `::ffff:${bytes.slice(12).join('.')}`
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16))
  return compressZeros(groups)
}

/** RFC 5952: the longest run of two or more zero groups becomes "::". */
function compressZeros(groups: string[]): string {
  let bestStart = -1
  let bestLength = 1
  for (let start = 0; start < groups.length; ) {
    let end = start
    while (end < groups.length && groups[end] === '0') end++
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start]
    start = end > start ? end : start + 1
  }
  if (bestStart < 0) return groups.join(':')
  const head = groups.slice(0, bestStart).join(':')
  const tail = groups.slice(bestStart + bestLength).join(':')
  return `${head}::${tail}`
}

/** Why /proc/net cannot be read here, or undefined when it can. */
export function procNetUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `the kernel's socket table is read from /proc/net, which ${process.platform} does not have`
  try {
    readFileSync('/proc/net/tcp')
    return undefined
  } catch (error) {
    return `/proc/net/tcp cannot be read here (${(error as NodeJS.ErrnoException).code})`
  }
}

/** Every socket of `protocol` the kernel knows in this network namespace, IPv4 and IPv6. */
function kernelSockets(protocol: Protocol): KernelSocket[] {
  return [protocol, `${protocol}6`].flatMap((table) => {
    try {
      return parseProcNet(readFileSync(`/proc/net/${table}`, 'utf8'), protocol)
    } catch {
      return [] // tcp6/udp6 are absent when IPv6 is compiled out
    }
  })
}

/** The inodes of the sockets this process holds open (its file descriptors, read from /proc/self/fd). */
function socketInodesOfThisProcess(): Set<number> {
  const inodes = new Set<number>()
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))
      if (match) inodes.add(Number(match[1]))
    } catch {
      // the descriptor closed while we looked
    }
  }
  return inodes
}

/**
 * The sockets of `protocol` that this very process holds open and that `which` selects.
 *
 * The kernel writes /proc/net/tcp chunk by chunk without locking the whole table, so while other
 * sockets come and go a row can be listed twice or skipped. Rows are de-duplicated, and the table is
 * read again until the selected rows come out the same twice in a row.
 */
export function socketsOfThisProcess(protocol: Protocol, which: (socket: KernelSocket) => boolean = () => true): KernelSocket[] {
  let previous: string | undefined
  let found: KernelSocket[] = []
  for (let read = 0; read < MAX_READS; read++) {
    const mine = socketInodesOfThisProcess()
    found = distinct(kernelSockets(protocol).filter((socket) => socket.inode !== 0 && mine.has(socket.inode) && which(socket)))
    const fingerprint = found.map(rowKey).sort().join('\n')
    if (fingerprint === previous) break
    previous = fingerprint
  }
  return found
}

const MAX_READS = 6

function rowKey(socket: KernelSocket): string {
  return `${socket.inode} ${socket.state} ${socket.localAddress}:${socket.localPort} ${socket.remoteAddress}:${socket.remotePort}`
}

function distinct(sockets: KernelSocket[]): KernelSocket[] {
  const seen = new Set<string>()
  return sockets.filter((socket) => !seen.has(rowKey(socket)) && seen.add(rowKey(socket)))
}

/** Where this process listens on `port`, as the kernel shows it: ["127.0.0.1:41234"]. */
export function listenersOfThisProcess(port: number): string[] {
  return socketsOfThisProcess('tcp', (socket) => socket.state === 'LISTEN' && socket.localPort === port).map((socket) =>
    endpoint(socket.localAddress, socket.localPort),
  )
}
