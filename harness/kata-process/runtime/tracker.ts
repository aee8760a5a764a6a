/**
 * Every socket, server and timer created in the kata process, found through async_hooks: unlike
 * process._getActiveHandles(), it sees those that were unref()'d too. Once the test has released
 * what it owns, whatever is still open here is the learner's.
 */
import { createHook } from 'node:async_hooks'
import dgram from 'node:dgram'
import net from 'node:net'
import { formatDuration } from '../../lifecycle/within.ts'
import { endpoint } from '../../sockets/addresses.ts'
import type { Leftover } from '../protocol.ts'

interface Tracked {
  type: string
  resource: object
  /** For timers: the line of the learner's code that set it. */
  createdAt?: string
  /** The call during which it was created. */
  call?: object
}

const HANDLE_TYPES = new Set(['TCPWRAP', 'TCPSERVERWRAP', 'UDPWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'PROCESSWRAP', 'FSEVENTWRAP', 'SIGNALWRAP'])

export class Tracker {
  private readonly live = new Map<number, Tracked>()

  /** Starts watching; only what is created from now on is tracked (the runtime's own pipes are older). */
  constructor(
    private readonly isLearnerFile: (path: string) => boolean,
    private readonly currentCall: () => object | undefined,
  ) {
    createHook({
      init: (asyncId, type, _trigger, resource) => {
        if (type === 'Timeout') this.live.set(asyncId, { type, resource, createdAt: this.learnerLine(), call: this.currentCall() })
        else if (HANDLE_TYPES.has(type)) this.live.set(asyncId, { type, resource, call: this.currentCall() })
      },
      destroy: (asyncId) => void this.live.delete(asyncId),
    }).enable()
  }

  /** The sockets a server accepted that are still open. */
  acceptedBy(server: net.Server): net.Socket[] {
    return this.owners().filter((owner): owner is net.Socket => owner instanceof net.Socket && !owner.destroyed && acceptingServer(owner) === server)
  }

  /** The sockets created during `call` that are open now, described. */
  openSocketsOf(call: object): string[] {
    return [...this.live.values()]
      .filter((tracked) => tracked.call === call && tracked.type !== 'Timeout')
      .map(({ type, resource }) => describeHandle(type, resource)?.description)
      .filter((description) => description !== undefined)
  }

  /** What is still open or pending, described for the learner. */
  leftovers(): Leftover[] {
    const found: Leftover[] = []
    for (const { type, resource, createdAt } of this.live.values()) {
      const leftover = type === 'Timeout' ? describeTimer(resource, createdAt) : describeHandle(type, resource)
      if (leftover) found.push(leftover)
    }
    return found
  }

  private owners(): object[] {
    return [...this.live.values()].map(({ resource }) => ownerOf(resource)).filter((owner) => owner !== undefined)
  }

  /** The first frame of the learner's own code on the stack, "refused.ts:17". */
  private learnerLine(): string | undefined {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 30
    const stack = new Error().stack ?? ''
    Error.stackTraceLimit = limit
    for (const match of stack.matchAll(/\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?$/gm)) {
      const path = match[1]!.replace(/^file:\/\//, '')
      if (this.isLearnerFile(path)) return `${path.split('/').pop()}:${match[2]}`
    }
    return undefined
  }
}

/** Node keeps the JavaScript object a native handle belongs to under an internal symbol. */
function ownerOf(resource: object): object | undefined {
  const symbol = Object.getOwnPropertySymbols(resource).find((s) => s.description === 'owner_symbol')
  return symbol ? ((resource as Record<symbol, object | undefined>)[symbol] ?? undefined) : undefined
}

function acceptingServer(socket: net.Socket): net.Server | undefined {
  return (socket as net.Socket & { server?: net.Server }).server
}

function hasRef(resource: object): boolean {
  const check = (resource as { hasRef?: () => boolean }).hasRef
  return typeof check === 'function' ? check.call(resource) : true
}

type TimerInternals = { _destroyed?: boolean; _idleTimeout?: number; _repeat?: number | null }

function describeTimer(resource: object, createdAt: string | undefined): Leftover | undefined {
  const timer = resource as TimerInternals
  if (timer._destroyed) return undefined
  const interval = typeof timer._repeat === 'number'
  const ms = Math.max(0, timer._idleTimeout ?? 0)
  const what = interval ? `an interval (setInterval, every ${formatDuration(ms)})` : `a ${formatDuration(ms)} timer (setTimeout, or a socket's setTimeout)`
  const where = createdAt ? ` set at ${createdAt}` : ''
  return { kind: interval ? 'interval' : 'timer', ref: hasRef(resource), description: `${what}${where}, still pending`, createdAt }
}

function describeHandle(type: string, resource: object): Leftover | undefined {
  const owner = ownerOf(resource)
  const ref = hasRef(resource)
  if (owner instanceof net.Server) {
    const address = owner.address()
    if (owner.listening && typeof address === 'string') return { kind: 'unix-server', ref, description: `a Unix socket server listening on ${address}` }
    if (!owner.listening || !address || typeof address === 'string') return undefined
    return { kind: 'tcp-server', ref, localPort: address.port, description: `a TCP server listening on ${endpoint(address.address, address.port)}` }
  }
  if (owner instanceof net.Socket) {
    if (owner.destroyed) return undefined
    return { kind: 'tcp-socket', ref, localPort: owner.localPort, description: describeTcpSocket(owner) }
  }
  if (owner instanceof dgram.Socket) {
    try {
      const { address, port } = owner.address()
      return { kind: 'udp-socket', ref, localPort: port, description: `a UDP socket bound to ${endpoint(address, port)}` }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_SOCKET_DGRAM_NOT_RUNNING') return undefined
      return { kind: 'udp-socket', ref, description: 'a UDP socket, created and never bound or closed' }
    }
  }
  if (type === 'TCPWRAP' || type === 'TCPSERVERWRAP' || type === 'UDPWRAP') return undefined // closing: its owner let go
  if (type === 'PIPEWRAP' || type === 'PIPESERVERWRAP') return undefined // a Unix socket closing (a listen that failed, say): its owner let go
  return { kind: 'handle', ref, description: `a ${type} handle` }
}

function describeTcpSocket(socket: net.Socket): string {
  const local = socket.localPort ? endpoint(socket.localAddress ?? '', socket.localPort) : undefined
  const remote = socket.remotePort ? endpoint(socket.remoteAddress ?? '', socket.remotePort) : undefined
  if (socket.connecting) return `a TCP connection attempt${local ? ` from ${local}` : ''}, still connecting`
  if (acceptingServer(socket)) return `a TCP connection accepted on ${local} from ${remote}`
  return remote ? `a TCP connection from ${local} to ${remote}` : `a TCP socket${local ? ` on ${local}` : ''}`
}
