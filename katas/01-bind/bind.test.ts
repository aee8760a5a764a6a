import { describe, expect, test } from 'vitest'
import { expectNoErrorListenerLeft } from '#harness/kata-process/left-behind.ts'
import { kataUnderTest } from '#harness/kata-process/kata-under-test.ts'
import { listeningStateOf, RemoteServer } from '#harness/kata-process/remote.ts'
import type { KernelSocket } from '#harness/kernel/proc-net.ts'
import { describeOutcome, outcome } from '#harness/lifecycle/outcome.ts'
import {
  requireAddress,
  requireForeignAddress,
  requireKernelSocketTable,
  requirePrivilegedPort,
} from '#harness/lifecycle/requirements.ts'
import { within } from '#harness/lifecycle/within.ts'
import { endpoint, missingAddressReason } from '#harness/sockets/addresses.ts'
import { withFreeTcpPort } from '#harness/sockets/ports.ts'
import { connectionAttempt, expectConnectable, testServer } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./bind.ts')>(import.meta.url)
const { bind } = kata.exports

const LISTEN_MS = 2000

/** bind(host, port) on a port that is free, bounded. The server is the test's: it is closed after the test. */
function bindOnAFreePort(host: string): Promise<{ server: RemoteServer; port: number }> {
  return withFreeTcpPort(host, async (port) => {
    const server = await within(LISTEN_MS, `bind('${host}', ${port}) never settled`, bind(host, port))
    expect(server, `bind() should resolve with the net.Server it started`).toBeInstanceOf(RemoteServer)
    return { server, port }
  })
}

/** bind() on a host or port where listening must fail: how the call ended. */
function bindThatMustFail(host: string, port: number, why: string) {
  return outcome(LISTEN_MS, `bind('${host}', ${port}) never settled for ${why}`, bind(host, port))
}

/** A socket as the kernel shows it: "tcp LISTEN 127.0.0.1:41234", "tcp ESTAB 127.0.0.1:5000 -> 127.0.0.1:41234". */
function describeRow(row: KernelSocket): string {
  const local = endpoint(row.localAddress, row.localPort)
  return `${row.protocol} ${row.state} ${local}${row.remotePort ? ` -> ${endpoint(row.remoteAddress, row.remotePort)}` : ''}`
}

describe('bind(host, port)', () => {
  test('resolves with a server listening on exactly the address and port asked for', async () => {
    const { server, port } = await bindOnAFreePort('127.0.0.1')
    const state = listeningStateOf(server.facts)
    expect(state, `when bind() resolved, the server was ${state}, but the test asked for 127.0.0.1:${port}`).toBe(
      `listening on ${endpoint('127.0.0.1', port)}`,
    )
    await expectConnectable('127.0.0.1', port, 'the server bind() resolved with should be listening')
  })

  test("the kernel shows your process's LISTEN socket on exactly that address and port, and no other socket", async (context) => {
    requireKernelSocketTable(context)
    const { port } = await bindOnAFreePort('127.0.0.1')
    const held = await kata.sockets('any')
    const listening = held.filter((row) => row.state === 'LISTEN' && row.localPort === port).map((row) => endpoint(row.localAddress, row.localPort))
    expect(listening, `your kata process's LISTEN sockets on port ${port}, as /proc/net/tcp shows them`).toEqual([endpoint('127.0.0.1', port)])
    expect(
      held.map(describeRow),
      "the sockets your kata process holds once bind() has resolved, as /proc/net shows them: bind() opens the listener and nothing else (a connection or server opened on the side stays open, unref()'d or not)",
    ).toEqual([`tcp LISTEN ${endpoint('127.0.0.1', port)}`])
  })

  test('bound to 127.0.0.1, it refuses connections made to 127.0.0.2', async (context) => {
    await requireAddress(context, '127.0.0.2')
    const { port } = await bindOnAFreePort('127.0.0.1')
    expect(await connectionAttempt('127.0.0.1', port), `connecting to 127.0.0.1:${port}`).toBe('connected')
    const other = await connectionAttempt('127.0.0.2', port)
    expect(
      other,
      `connecting to 127.0.0.2:${port} should be refused, since the server was bound to 127.0.0.1 only; ` +
        `it ${other === 'connected' ? 'connected: the server listens on more than the address it was given' : `gave ${other}`}`,
    ).toBe('ECONNREFUSED')
  })

  test('bound to 0.0.0.0, it accepts connections made to 127.0.0.1 and to 127.0.0.2, and none over IPv6', async (context) => {
    await requireAddress(context, '127.0.0.2')
    const { port } = await bindOnAFreePort('0.0.0.0')
    for (const address of ['127.0.0.1', '127.0.0.2']) {
      const attempt = await connectionAttempt(address, port)
      expect(attempt, `0.0.0.0 means every IPv4 address of this host, yet connecting to ${address}:${port} gave ${attempt}`)
        .toBe('connected')
    }
    if (await missingAddressReason('::1')) return // no IPv6 here: nothing more to tell apart
    const overIPv6 = await connectionAttempt('::1', port)
    expect(
      overIPv6,
      `connecting to [::1]:${port} should be refused, since 0.0.0.0 covers IPv4 addresses only; it ` +
        (overIPv6 === 'connected'
          ? "connected: the server listens on [::], IPv6's wildcard (what listen() binds when given no host), which takes IPv4 and IPv6 clients alike"
          : `gave ${overIPv6}`),
    ).toBe('ECONNREFUSED')
  })

  test('bound to ::1, it listens on the IPv6 loopback address, and only there', async (context) => {
    await requireAddress(context, '::1')
    const { server, port } = await bindOnAFreePort('::1')
    const state = listeningStateOf(server.facts)
    expect(state, `when bind() resolved, the server was ${state}, but the test asked for [::1]:${port}`).toBe(
      `listening on ${endpoint('::1', port)}`,
    )
    expect(await connectionAttempt('::1', port), `connecting to [::1]:${port}`).toBe('connected')
    const overIPv4 = await connectionAttempt('127.0.0.1', port)
    expect(overIPv4, `connecting to 127.0.0.1:${port} should be refused: the server was bound to ::1 only`).toBe('ECONNREFUSED')
  })

  test("once it has resolved, it leaves no 'error' listener of its own on the server", async () => {
    const { server, port } = await bindOnAFreePort('127.0.0.1')
    await expectConnectable('127.0.0.1', port, 'the server bind() resolved with should be listening')
    expectNoErrorListenerLeft('bind', server)
  })

  test('a port already in use rejects with EADDRINUSE and leaves nothing open', async () => {
    const occupied = await testServer('127.0.0.1')
    const result = await bindThatMustFail('127.0.0.1', occupied.port, 'a port already in use')
    expect(
      result.resolved ? undefined : result.error.code,
      `127.0.0.1:${occupied.port} already has a listener, so bind() should reject with the listen error; it ${describeOutcome(result)}`,
    ).toBe('EADDRINUSE')
  })

  test('an address this host does not have rejects with EADDRNOTAVAIL', async (context) => {
    const foreign = requireForeignAddress(context)
    const result = await bindThatMustFail(foreign, 0, 'an address this host does not have')
    expect(
      result.resolved ? undefined : result.error.code,
      `${foreign} is not an address of this host, so bind() should reject; it ${describeOutcome(result)}`,
    ).toBe('EADDRNOTAVAIL')
  })

  test('a port below 1024, for a user who is not root, rejects with EACCES', async (context) => {
    const port = requirePrivilegedPort(context, await kata.processIdentity())
    const result = await bindThatMustFail('127.0.0.1', port, 'a privileged port')
    expect(
      result.resolved ? undefined : result.error.code,
      `ports below ${port + 1} need root (or CAP_NET_BIND_SERVICE), so bind() should reject; it ${describeOutcome(result)}`,
    ).toBe('EACCES')
  })
})
