/**
 * The kernel's view of the sockets a test involved, as a short ss-style table, taken the moment a
 * test fails (before anything is closed) so the learner sees what the sockets were really doing.
 */
import dgram from 'node:dgram'
import net from 'node:net'
import { endpoint } from '../sockets/addresses.ts'
import { procNetUnavailable, socketsOfThisProcess, type KernelSocket } from './proc-net.ts'

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

/** The table, or undefined when there is nothing to show or no kernel table to read. */
export function kernelViewOf(ports: Set<number>): string | undefined {
  if (ports.size === 0 || procNetUnavailable()) return undefined
  const involved = (socket: KernelSocket) => ports.has(socket.localPort) || ports.has(socket.remotePort)
  const rows = [...socketsOfThisProcess('tcp', involved), ...socketsOfThisProcess('udp', involved)]
  if (rows.length === 0) return undefined
  return formatTable(rows.slice(0, MAX_ROWS), rows.length - MAX_ROWS)
}

function formatTable(rows: KernelSocket[], more = 0): string {
  const cells = [
    ['Proto', 'State', 'Queued', 'Local', 'Peer'],
    ...rows.map((row) => [
      row.protocol,
      row.state,
      String(row.receiveQueue),
      endpoint(row.localAddress, row.localPort),
      row.remotePort ? endpoint(row.remoteAddress, row.remotePort) : '*',
    ]),
  ]
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((line) => line[column]!.length)))
  const lines = cells.map((line) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd())
  if (more > 0) lines.push(`(${more} more)`)
  return lines.join('\n')
}

