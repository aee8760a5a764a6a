/**
 * Doubles for kata 12 (dual stack), about servers the learner's code starts:
 * - 'connection-log' records the connections one server accepts, so that the test can tell which of
 *   two servers a client landed on, and read the accepted socket's peer;
 * - 'port-collider' makes the port-0 retry of listenPerFamily() happen: a real listener, in this
 *   process, takes the port the learner's second listen() asks for, just before it asks.
 * Neither decides anything: the test reads the kernel's rows and its own clients' ends.
 */
import net from 'node:net'
import { callRunningNow, listenRequestOf } from '../observe.ts'
import type { TestDoubleFactory } from './index.ts'

export const listenerDoubles: Record<string, TestDoubleFactory> = {
  /**
   * control('watch', server): from now on, records each connection `server` accepts (a 'connection'
   * listener, which changes nothing of how Node accepts). control('accepted'): those sockets, oldest
   * first, as handles (the test's: closed when the test ends).
   */
  'connection-log': () => {
    const accepted: net.Socket[] = []
    let watched: net.Server | undefined
    const onConnection = (socket: net.Socket) => void accepted.push(socket)
    const value = {}
    return {
      value,
      control: (command, [server]) => {
        if (command === 'watch') {
          if (!(server instanceof net.Server)) throw new Error('connection-log watches a net.Server')
          watched = server.on('connection', onConnection)
          return undefined
        }
        if (command === 'accepted') return [...accepted]
        throw new Error(`connection-log has no command ${command}`)
      },
      dispose: () => void watched?.off('connection', onConnection),
    }
  },

  /**
   * While it lives, a listen() the learner's code makes (during a call of the test's) on '::' or
   * '0.0.0.0' with a port other than 0 waits until this double has taken that very address and port
   * (a server of its own; on '::' with ipv6Only), then goes ahead: it fails with EADDRINUSE from the
   * kernel. It does so `collisions` times, then lets every listen through. control('report'):
   * { taken: [{ host, port, byAnother? }], holderErrors: ['EACCES ...'], listens: [{ host, port, ipv6Only }] },
   * the last being every listen() of the learner's code it saw. Where another socket already held the
   * address (byAnother), the learner's listen collides all the same, and that counts as a collision.
   */
  'port-collider': (options) => {
    let remaining = Number(options.collisions ?? 1)
    const holders: net.Server[] = []
    const taken: { host: string; port: number; byAnother?: boolean }[] = []
    const holderErrors: string[] = []
    const listens: { host: string | null; port: number; ipv6Only: boolean }[] = []
    const previous = net.Server.prototype.listen
    const collider = function (this: net.Server, ...args: unknown[]) {
      const goAhead = () => (previous as (...a: unknown[]) => net.Server).apply(this, args)
      if (callRunningNow() === undefined || holders.includes(this)) return goAhead()
      const { port, host } = listenRequestOf(args)
      const ipv6Only = typeof args[0] === 'object' && args[0] !== null && (args[0] as net.ListenOptions).ipv6Only === true
      listens.push({ host, port, ipv6Only })
      const wildcard = host ?? (ipv6Only ? '::' : undefined)
      if (remaining <= 0 || port === 0 || (wildcard !== '::' && wildcard !== '0.0.0.0')) return goAhead()
      remaining--
      const holder = net.createServer()
      holders.push(holder)
      holder.once('error', (error: NodeJS.ErrnoException) => {
        // EADDRINUSE: another socket already holds it, so the learner's listen collides all the same.
        if (error.code === 'EADDRINUSE') taken.push({ host: wildcard, port, byAnother: true })
        else holderErrors.push(`${error.code} (${error.message})`)
        goAhead()
      })
      ;(previous as (...a: unknown[]) => net.Server).call(holder, { host: wildcard, port, ipv6Only: wildcard === '::' }, () => {
        taken.push({ host: wildcard, port })
        goAhead()
      })
      return this
    }
    net.Server.prototype.listen = collider as typeof previous
    return {
      value: {},
      control: (command) => {
        if (command === 'report') return { taken, holderErrors, listens }
        throw new Error(`port-collider has no command ${command}`)
      },
      dispose: () => {
        if (net.Server.prototype.listen === (collider as typeof previous)) net.Server.prototype.listen = previous
        for (const holder of holders) holder.close()
      },
    }
  },
}
