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
  /** 0 for sockets no process owns any more (TIME-WAIT, and FIN-WAIT after close). */
  inode: number
  /** The user that created the socket. */
  uid: number
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
    uid: Number(fields[7] ?? -1),
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

/**
 * Every socket of `protocol` the kernel knows in this network namespace, IPv4 and IPv6, whoever holds
 * it (a TIME-WAIT row belongs to no process): one read of each table, which may miss a row that moves
 * while it is read (see socketsOwnedBy).
 */
export function kernelSockets(protocol: Protocol): KernelSocket[] {
  return [protocol, `${protocol}6`].flatMap((table) => {
    try {
      return parseProcNet(readFileSync(`/proc/net/${table}`, 'utf8'), protocol)
    } catch {
      return [] // tcp6/udp6 are absent when IPv6 is compiled out
    }
  })
}

/**
 * Whose sockets: a process (by the socket inodes among its file descriptors, /proc/<pid>/fd), or a
 * user (the kernel's uid column), for a process running as an identity of its own whose descriptors
 * another user may not read.
 */
export type SocketOwner = { pid: number | 'self'; ignore?: Set<number> } | { uid: number }

/** The inodes of the sockets a process holds open: none once it has ended, undefined where they cannot be read. */
export function socketInodesOf(pid: number | 'self'): Set<number> | undefined {
  const inodes = new Set<number>()
  let fds: string[]
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? inodes : undefined
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (match) inodes.add(Number(match[1]))
    } catch (error) {
      // ENOENT: the descriptor closed while we looked. Otherwise the folder was listed but its links cannot
      // be read: root without CAP_SYS_PTRACE (a platform's container) lists another user's fd/ (DAC_OVERRIDE)
      // but may not read where its links point.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined
    }
  }
  return inodes
}

function ownedBy(owner: SocketOwner): (socket: KernelSocket) => boolean {
  if ('uid' in owner) return (socket) => socket.uid === owner.uid && socket.inode !== 0
  const inodes = socketInodesOf(owner.pid) ?? new Set()
  return (socket) => socket.inode !== 0 && inodes.has(socket.inode)
}

/**
 * The sockets of `protocol` that `owner` holds open and that `which` selects.
 *
 * The kernel writes /proc/net/tcp chunk by chunk without locking the whole table, so while other
 * sockets come and go a row can be listed twice or skipped. Rows are de-duplicated, and the tables
 * are read again until they agree: for another process, until every socket among its descriptors
 * (but those it is told to ignore) has been found; otherwise until the selected rows come out the same
 * twice in a row. Reading /proc/net/tcp walks the kernel's whole connection hash table, which takes
 * milliseconds where it is large, so the fewer reads the better.
 */
export function socketsOwnedBy(owner: SocketOwner, protocol: Protocol | 'any', which: (socket: KernelSocket) => boolean = () => true): KernelSocket[] {
  if ('pid' in owner && owner.pid !== 'self') return socketsOfProcess(owner.pid, owner.ignore ?? new Set(), protocol, which)
  const tables = () => (protocol === 'any' ? [...kernelSockets('tcp'), ...kernelSockets('udp')] : kernelSockets(protocol))
  let previous: string | undefined
  let found: KernelSocket[] = []
  for (let read = 0; read < MAX_READS; read++) {
    const owned = ownedBy(owner)
    found = distinct(tables().filter((socket) => owned(socket) && which(socket)))
    const fingerprint = found.map(rowKey).sort().join('\n')
    if (fingerprint === previous) break
    previous = fingerprint
  }
  return found
}

function socketsOfProcess(pid: number, ignore: Set<number>, protocol: Protocol | 'any', which: (socket: KernelSocket) => boolean): KernelSocket[] {
  const wanted = [...(socketInodesOf(pid) ?? [])].filter((inode) => !ignore.has(inode))
  if (wanted.length === 0) return []
  let rows: KernelSocket[] = []
  for (let read = 0; read < MAX_READS_OF_A_PROCESS; read++) {
    // UDP's tables are short to read: reading them too accounts for every socket, so one read usually does.
    rows = distinct([...kernelSockets('tcp'), ...kernelSockets('udp')].filter((socket) => wanted.includes(socket.inode)))
    if (wanted.every((inode) => rows.some((socket) => socket.inode === inode))) break
  }
  return rows.filter((socket) => (protocol === 'any' || socket.protocol === protocol) && which(socket))
}

/** A process may hold sockets that are in no table read here (Unix sockets): looking again does not find them. */
const MAX_READS_OF_A_PROCESS = 3

/** The sockets of `protocol` that this very process holds open and that `which` selects. */
export function socketsOfThisProcess(protocol: Protocol, which: (socket: KernelSocket) => boolean = () => true): KernelSocket[] {
  return socketsOwnedBy({ pid: 'self' }, protocol, which)
}

const MAX_READS = 6

function rowKey(socket: KernelSocket): string {
  return `${socket.inode} ${socket.state} ${socket.localAddress}:${socket.localPort} ${socket.remoteAddress}:${socket.remotePort}`
}

function distinct(sockets: KernelSocket[]): KernelSocket[] {
  const seen = new Set<string>()
  return sockets.filter((socket) => !seen.has(rowKey(socket)) && seen.add(rowKey(socket)))
}

/** Where `owner` listens on `port`, as the kernel shows it: ["127.0.0.1:41234"]. */
export function listenersOn(owner: SocketOwner, port: number): string[] {
  return socketsOwnedBy(owner, 'tcp', (socket) => socket.state === 'LISTEN' && socket.localPort === port).map((socket) =>
    endpoint(socket.localAddress, socket.localPort),
  )
}

// --- Unix domain sockets (/proc/net/unix) ---

/** One row of /proc/net/unix: a Unix domain socket, by inode, with the path it is bound to if any. */
export interface UnixSocket {
  /** 'stream', 'dgram' or 'seqpacket' (the Type column: 0001, 0002, 0005). */
  type: string
  /** The St column: 01 unconnected (a listener is one too), 02 connecting, 03 connected, 04 disconnecting. */
  state: string
  /** The Flags column has __SO_ACCEPTCON (00010000): listen() was called on it. */
  listening: boolean
  inode: number
  /** The path it is bound to ('@name' for an abstract one); '' for an unnamed socket (a client's end, say). */
  path: string
}

const UNIX_TYPES: Record<string, string> = { '0001': 'stream', '0002': 'dgram', '0005': 'seqpacket' }
/** __SO_ACCEPTCON in include/uapi/linux/net.h. */
const SO_ACCEPTCON = 0x10000

/** Parses the text of /proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path". */
export function parseProcNetUnix(text: string): UnixSocket[] {
  return text
    .split('\n')
    .slice(1)
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      // The path is the rest of the line after the inode, and may itself hold spaces.
      const match = /^\s*\S+:\s+\S+\s+\S+\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+(\d+)(?: (.*))?$/.exec(line)
      const [, flags = '0', type = '', state = '', inode = '0', path = ''] = match ?? []
      return { type: UNIX_TYPES[type] ?? type, state, listening: (parseInt(flags, 16) & SO_ACCEPTCON) !== 0, inode: Number(inode), path }
    })
}

/** Every Unix domain socket in this network namespace (one read of /proc/net/unix); none where it cannot be read. */
export function unixSockets(): UnixSocket[] {
  try {
    return parseProcNetUnix(readFileSync('/proc/net/unix', 'utf8'))
  } catch {
    return []
  }
}

/** Why /proc/net/unix cannot be read here, or undefined when it can. */
export function procNetUnixUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `the kernel's table of Unix sockets is read from /proc/net/unix, which ${process.platform} does not have`
  try {
    readFileSync('/proc/net/unix')
    return undefined
  } catch (error) {
    return `/proc/net/unix cannot be read here (${(error as NodeJS.ErrnoException).code})`
  }
}

/**
 * The Unix domain sockets `owner` holds open, by the inodes among its descriptors (/proc/<pid>/fd),
 * but those it is told to ignore; undefined when they cannot be told: /proc/net/unix has no uid column,
 * so an owner known only by its uid, or whose descriptors cannot be read, cannot be matched.
 */
export function unixSocketsOwnedBy(owner: SocketOwner): UnixSocket[] | undefined {
  if ('uid' in owner) return undefined
  const inodes = socketInodesOf(owner.pid)
  if (inodes === undefined) return undefined
  const ignore = owner.ignore ?? new Set()
  const wanted = new Set([...inodes].filter((inode) => !ignore.has(inode)))
  if (wanted.size === 0) return []
  const seen = new Set<number>()
  return unixSockets().filter((socket) => wanted.has(socket.inode) && !seen.has(socket.inode) && seen.add(socket.inode))
}
