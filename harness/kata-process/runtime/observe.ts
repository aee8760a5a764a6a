/**
 * What the learner's code does through Node's own APIs while one call runs, where no socket shows it:
 * the port it asked listen() for (the kernel cannot tell a port the OS chose from one passed in), and
 * whether it waited for UDP replies. Each call runs in an AsyncLocalStorage context of its own, so
 * overlapping calls are told apart, callbacks and promises included.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import dgram from 'node:dgram'
import net from 'node:net'
import type { Observed } from '../protocol.ts'
import { handleIdOf } from './handles.ts'

const currentCall = new AsyncLocalStorage<Observed>()

export function observing<T>(body: () => T): { observed: Observed; result: T } {
  const observed: Observed = { listenCalls: [], listenedForUdpMessages: false, openAtSettle: [] }
  return { observed, result: currentCall.run(observed, body) }
}

/** The call whose code is running now (through its callbacks and promises too), if any. */
export function callRunningNow(): Observed | undefined {
  return currentCall.getStore()
}

const LISTENER_METHODS = ['on', 'addListener', 'prependListener', 'prependOnceListener'] as const

/** Wraps server.listen() and the UDP socket's listener methods; called once, before the learner's code loads. */
export function watchNodeApis(): void {
  const listen = net.Server.prototype.listen
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    const { port, host, backlog } = listenRequestOf(args)
    currentCall.getStore()?.listenCalls.push({ handle: handleIdOf(this), port, host, backlog })
    return (listen as (...a: unknown[]) => net.Server).apply(this, args)
  } as typeof listen

  const udp = dgram.Socket.prototype as unknown as Record<string, (...args: unknown[]) => unknown>
  for (const name of LISTENER_METHODS) {
    const inherited = udp[name]!
    udp[name] = function (this: dgram.Socket, event: unknown, ...rest: unknown[]) {
      const observed = currentCall.getStore()
      if (observed && event === 'message') observed.listenedForUdpMessages = true
      return inherited.call(this, event, ...rest)
    }
  }
}

/** The port, host and backlog in any of listen()'s call shapes: (port, host, backlog, cb), (options, cb), (cb), (). */
export function listenRequestOf(args: unknown[]): { port: number; host: string | null; backlog: number | null } {
  const [first, second, third] = args
  if (first !== null && typeof first === 'object') {
    const options = first as net.ListenOptions
    return { port: Number(options.port ?? 0), host: options.host ?? null, backlog: options.backlog ?? null }
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const host = typeof second === 'string' ? second : null
    const backlog = typeof second === 'number' ? second : typeof third === 'number' ? third : null
    return { port: Number(first), host, backlog }
  }
  return { port: 0, host: null, backlog: null }
}
