/**
 * The kernel's view of the sockets a test involved, as a short ss-style table, taken the moment a
 * test fails (before anything is closed) so the learner sees what the sockets were really doing, and
 * whose they were.
 */
import dgram from 'node:dgram'
import net from 'node:net'
import { endpoint } from '../sockets/addresses.ts'
import { procNetUnavailable, socketsOfThisProcess, socketsOwnedBy, type KernelSocket, type SocketOwner } from './proc-net.ts'

const MAX_ROWS = 12

/** The local (and peer) ports of sockets, servers and UDP sockets: how a test's sockets are found in the kernel. */
export function portsOf(resources: unknown[]): Set<number> {
  const ports = new Set<number>()
  for (const resource of resources) {
    if (resource instanceof net.Server) {
      const address = resource.address()
      if (address && typeof address === 'object') ports.add(address.port)
    } else if (resource instanceof net.Socket) {
      if (resource.localPort) ports.add(resource.localPort)
      if (resource.remotePort) ports.add(resource.remotePort)
    } else if (resource instanceof dgram.Socket) {
      try {
        ports.add(resource.address().port)
      } catch {
        // closed or never bound: nothing of it in the kernel
      }
    }
  }
  return ports
}

/**
 * The table, or undefined when there is nothing to show or no kernel table to read: every socket of
 * the kata processes (the learner's code), and the test's own sockets on the ports involved.
 */
export function kernelViewOf(kataOwners: SocketOwner[], testPorts: Set<number>): string | undefined {
  if (procNetUnavailable()) return undefined
  const theirs = kataOwners.flatMap((owner) => [...socketsOwnedBy(owner, 'tcp'), ...socketsOwnedBy(owner, 'udp')])
  const ports = new Set([...testPorts, ...theirs.flatMap((row) => [row.localPort, row.remotePort])])
  ports.delete(0)
  const involved = (socket: KernelSocket) => ports.has(socket.localPort) || ports.has(socket.remotePort)
  const ours = ports.size > 0 ? [...socketsOfThisProcess('tcp', involved), ...socketsOfThisProcess('udp', involved)] : []
  // The kata process holds the learner's sockets and those the test made there (kata 04's server): it is named, not "your code".
  const rows = [...theirs.map((row) => ({ row, owner: 'kata process' })), ...ours.map((row) => ({ row, owner: 'the test' }))]
  if (rows.length === 0) return undefined
  return formatTable(rows.slice(0, MAX_ROWS), rows.length - MAX_ROWS)
}

function formatTable(rows: { row: KernelSocket; owner: string }[], more = 0): string {
  const cells = [
    ['Proto', 'State', 'Queued', 'Local', 'Peer', 'Owner'],
    ...rows.map(({ row, owner }) => [
      row.protocol,
      row.state,
      String(row.receiveQueue),
      endpoint(row.localAddress, row.localPort),
      row.remotePort ? endpoint(row.remoteAddress, row.remotePort) : '*',
      owner,
    ]),
  ]
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((line) => line[column]!.length)))
  const lines = cells.map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd())
  if (more > 0) lines.push(`(${more} more)`)
  return lines.join('\n')
}
