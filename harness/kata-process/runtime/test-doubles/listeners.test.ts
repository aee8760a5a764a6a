import net from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { observing } from '../observe.ts'
import type { TestDouble } from './index.ts'
import { listenerDoubles } from './listeners.ts'

const made: TestDouble[] = []
const servers: net.Server[] = []

function make(name: string, options: Record<string, unknown> = {}): TestDouble {
  const double = listenerDoubles[name]!(options)
  made.push(double)
  return double
}

/** listen(options) on a fresh server, as the learner's code would (inside a call when `asLearner`): its port, or the error code. */
function listenOn(options: net.ListenOptions, asLearner = true): Promise<number | string> {
  const server = net.createServer()
  servers.push(server)
  const attempt = () =>
    new Promise<number | string>((resolve) => {
      server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
      server.listen(options, () => resolve((server.address() as net.AddressInfo).port))
    })
  return asLearner ? observing(attempt).result : attempt()
}

afterEach(() => {
  for (const double of made.splice(0)) double.dispose?.()
  for (const server of servers.splice(0)) server.close()
})

describe('connection-log', () => {
  test("records the connections a watched server accepts, oldest first, and stops listening on dispose()", async () => {
    const double = make('connection-log')
    const server = net.createServer()
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    double.control('watch', [server])
    expect(server.listenerCount('connection')).toBe(1)
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
    await new Promise((resolve) => client.once('connect', resolve))
    await new Promise((resolve) => setImmediate(resolve))
    const until = Date.now() + 2000
    while ((double.control('accepted', []) as net.Socket[]).length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5))
    const [accepted] = double.control('accepted', []) as net.Socket[]
    expect(accepted?.remotePort).toBe(client.localPort)
    accepted?.destroy()
    client.destroy()
    double.dispose?.()
    expect(server.listenerCount('connection')).toBe(0)
  })
})

describe('port-collider', () => {
  test("takes '::' (IPv6-only) on the port a learner's listen asks for, `collisions` times, so that listen fails with EADDRINUSE", async () => {
    const double = make('port-collider', { collisions: 1 })
    const v4 = await listenOn({ host: '0.0.0.0', port: 0 })
    expect(v4).toBeTypeOf('number')
    expect(await listenOn({ host: '::', port: v4 as number, ipv6Only: true })).toBe('EADDRINUSE')
    const again = await listenOn({ host: '0.0.0.0', port: 0 })
    expect(await listenOn({ host: '::', port: again as number, ipv6Only: true })).toBe(again) // one collision only
    expect(double.control('report', [])).toEqual({
      taken: [{ host: '::', port: v4 }],
      holderErrors: [],
      listens: [
        { host: '0.0.0.0', port: 0, ipv6Only: false },
        { host: '::', port: v4, ipv6Only: true },
        { host: '0.0.0.0', port: 0, ipv6Only: false },
        { host: '::', port: again, ipv6Only: true },
      ],
    })
  })

  test("leaves the test's own listens alone (outside a call), and puts listen() back on dispose()", async () => {
    const before = net.Server.prototype.listen
    const double = make('port-collider', { collisions: 5 })
    expect(net.Server.prototype.listen).not.toBe(before)
    const v4 = await listenOn({ host: '0.0.0.0', port: 0 }, false)
    expect(await listenOn({ host: '::', port: v4 as number, ipv6Only: true }, false)).toBe(v4)
    expect(double.control('report', [])).toMatchObject({ taken: [], listens: [] })
    double.dispose?.()
    expect(net.Server.prototype.listen).toBe(before)
  })
})
