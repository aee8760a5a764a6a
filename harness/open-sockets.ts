/**
 * The TCP servers, TCP sockets and UDP sockets this thread holds open, read from Node's list of
 * active handles. Vitest says nothing about a socket a test leaves open, so the tests ask here.
 */
import dgram from 'node:dgram'
import net from 'node:net'
import { endpoint } from './sockets/addresses.ts'
import { procNetUnavailable, socketsOfThisProcess } from './kernel/proc-net.ts'

export type OpenSocket = net.Server | net.Socket | dgram.Socket

type WithActiveHandles = NodeJS.Process & { _getActiveHandles?: () => unknown[] }

/** Every open TCP server, TCP socket and UDP socket of this thread, right now. */
export function openSockets(): OpenSocket[] {
  const handles = (process as WithActiveHandles)._getActiveHandles?.() ?? []
  return handles.filter(isOpenSocket)
}

function isOpenSocket(handle: unknown): handle is OpenSocket {
  if (handle instanceof net.Server) return handle.listening
  if (handle instanceof net.Socket) return !handle.destroyed && isTcp(handle)
  if (handle instanceof dgram.Socket) return isOpenUdp(handle)
  return false
}

/** Pipes and terminals are net.Sockets too; only TCP counts here. */
function isTcp(socket: net.Socket): boolean {
  const handle = (socket as net.Socket & { _handle?: object | null })._handle
  return handle?.constructor?.name === 'TCP'
}

function isOpenUdp(socket: dgram.Socket): boolean {
  try {
    socket.address()
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ERR_SOCKET_DGRAM_NOT_RUNNING' // EBADF: open, never bound
  }
}

/** The server that accepted `socket`, if a server did. */
export function acceptedBy(socket: net.Socket): net.Server | undefined {
  return (socket as net.Socket & { server?: net.Server }).server
}

/** One line a learner can recognise: "a TCP server listening on 127.0.0.1:41234". */
export function describeOpenSocket(socket: OpenSocket): string {
  if (socket instanceof net.Server) {
    const address = socket.address()
    return address && typeof address === 'object'
      ? `a TCP server listening on ${endpoint(address.address, address.port)}`
      : 'a TCP server'
  }
  if (socket instanceof net.Socket) return describeTcpSocket(socket)
  return describeUdpSocket(socket)
}

function describeTcpSocket(socket: net.Socket): string {
  const local = socket.localAddress && socket.localPort ? endpoint(socket.localAddress, socket.localPort) : undefined
  if (socket.remoteAddress && socket.remotePort) {
    const remote = endpoint(socket.remoteAddress, socket.remotePort)
    return acceptedBy(socket)
      ? `a TCP connection accepted on ${local} from ${remote}`
      : `a TCP connection from ${local} to ${remote}`
  }
  const kernelRow = local && procNetUnavailable() === undefined
    ? socketsOfThisProcess('tcp', (row) => row.localPort === socket.localPort)[0]
    : undefined
  if (kernelRow) {
    const remote = endpoint(kernelRow.remoteAddress, kernelRow.remotePort)
    return `a TCP connection attempt from ${local} to ${remote}, in ${kernelRow.state} in the kernel`
  }
  return local ? `a TCP socket on ${local} that never finished connecting` : 'a TCP socket that never connected'
}

function describeUdpSocket(socket: dgram.Socket): string {
  try {
    const { address, port } = socket.address()
    return `a UDP socket bound to ${endpoint(address, port)}`
  } catch {
    return 'a UDP socket (created, never bound)'
  }
}

/** Closes `socket` however it is open, ignoring errors: used to tidy up after a leak is reported. */
export function forceClose(socket: OpenSocket): void {
  try {
    if (socket instanceof net.Server) socket.close()
    else if (socket instanceof net.Socket) socket.destroy()
    else socket.close()
  } catch {
    // already closing
  }
}
