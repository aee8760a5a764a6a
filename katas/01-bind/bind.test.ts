import net from 'node:net'
import { describe, expect, test } from 'vitest'
import { bind } from './bind.ts'
import { endpoint, listeningState } from '#harness/sockets/addresses.ts'
import { closeAfterTest } from '#harness/lifecycle/cleanup.ts'
import { describeOutcome, outcome } from '#harness/lifecycle/outcome.ts'
import { withFreeTcpPort } from '#harness/sockets/ports.ts'
import { listenersOfThisProcess } from '#harness/kernel/proc-net.ts'
import {
  requireAddress,
  requireForeignAddress,
  requireKernelSocketTable,
  requirePrivilegedPort,
} from '#harness/lifecycle/requirements.ts'
import { connectionAttempt, testServer } from '#harness/sockets/tcp-peers.ts'
import { within } from '#harness/lifecycle/within.ts'

const LISTEN_MS = 2000

/** bind(host, port) on a port that is free, bounded; the server is closed after the test. */
function bindOnAFreePort(host: string): Promise<{ server: net.Server; port: number }> {
  return withFreeTcpPort(host, async (port) => {
    const server = await within(LISTEN_MS, `bind('${host}', ${port}) never settled`, bind(host, port))
    closeAfterTest(server)
    expect(server, `bind() should resolve with the net.Server it started`).toBeInstanceOf(net.Server)
    return { server, port }
  })
}

describe('bind(host, port)', () => {
  test('resolves with a server listening on exactly the address and port asked for', async () => {
    const { server, port } = await bindOnAFreePort('127.0.0.1')
    const state = listeningState(server)
    expect(state, `the server is ${state}, but the test asked for 127.0.0.1:${port}`).toBe(
      `listening on ${endpoint('127.0.0.1', port)}`,
    )
  })

  test("the kernel shows this process's LISTEN socket on that address and port", async (context) => {
    requireKernelSocketTable(context)
    const { port } = await bindOnAFreePort('127.0.0.1')
    expect(listenersOfThisProcess(port), `this process's LISTEN sockets on port ${port}, as /proc/net/tcp shows them`).toEqual([
      endpoint('127.0.0.1', port),
    ])
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

  test('bound to 0.0.0.0, it accepts connections made to 127.0.0.1 and to 127.0.0.2', async (context) => {
    await requireAddress(context, '127.0.0.2')
    const { port } = await bindOnAFreePort('0.0.0.0')
    for (const address of ['127.0.0.1', '127.0.0.2']) {
      const attempt = await connectionAttempt(address, port)
      expect(attempt, `0.0.0.0 means every IPv4 address of this host, yet connecting to ${address}:${port} gave ${attempt}`)
        .toBe('connected')
    }
  })

  test('bound to ::1, it listens on the IPv6 loopback address', async (context) => {
    await requireAddress(context, '::1')
    const { server, port } = await bindOnAFreePort('::1')
    const state = listeningState(server)
    expect(state, `the server is ${state}, but the test asked for [::1]:${port}`).toBe(`listening on ${endpoint('::1', port)}`)
  })

  test('a port already in use rejects with EADDRINUSE and leaves nothing open', async () => {
    const occupied = await testServer('127.0.0.1')
    const result = await outcome(
      LISTEN_MS,
      `bind('127.0.0.1', ${occupied.port}) on a port already in use never settled`,
      bind('127.0.0.1', occupied.port),
    )
    if (result.resolved) closeAfterTest(result.value)
    expect(
      result.resolved ? undefined : result.error.code,
      `127.0.0.1:${occupied.port} already has a listener, so bind() should reject with the listen error; it ${describeOutcome(result)}`,
    ).toBe('EADDRINUSE')
  })

  test('an address this host does not have rejects with EADDRNOTAVAIL', async (context) => {
    const foreign = requireForeignAddress(context)
    const result = await outcome(
      LISTEN_MS,
      `bind('${foreign}', 0) never settled for an address this host does not have`,
      bind(foreign, 0),
    )
    if (result.resolved) closeAfterTest(result.value)
    expect(
      result.resolved ? undefined : result.error.code,
      `${foreign} is not an address of this host, so bind() should reject; it ${describeOutcome(result)}`,
    ).toBe('EADDRNOTAVAIL')
  })

  test('a port below 1024, for a user who is not root, rejects with EACCES', async (context) => {
    const port = requirePrivilegedPort(context)
    const result = await outcome(LISTEN_MS, `bind('127.0.0.1', ${port}) never settled for a privileged port`, bind('127.0.0.1', port))
    if (result.resolved) closeAfterTest(result.value)
    expect(
      result.resolved ? undefined : result.error.code,
      `ports below ${port + 1} need root (or CAP_NET_BIND_SERVICE), so bind() should reject; it ${describeOutcome(result)}`,
    ).toBe('EACCES')
  })
})
