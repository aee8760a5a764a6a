import net from 'node:net'
import { describe, expect, test } from 'vitest'
import { listenOnAnyPort } from './port-zero.ts'
import { endpoint, listeningState } from '#harness/sockets/addresses.ts'
import { closeAfterTest } from '#harness/lifecycle/cleanup.ts'
import { ephemeralPortRange } from '#harness/kernel/ephemeral-ports.ts'
import { recordListenCalls } from '#harness/listen-calls.ts'
import { listenersOfThisProcess } from '#harness/kernel/proc-net.ts'
import { requireAddress, requireKernelSocketTable } from '#harness/lifecycle/requirements.ts'
import { within } from '#harness/lifecycle/within.ts'

const LISTEN_MS = 2000

/** listenOnAnyPort(host), bounded; the server is closed after the test. */
async function listenOnAnyPortOf(host: string): Promise<{ server: net.Server; port: number }> {
  const result = await within(LISTEN_MS, `listenOnAnyPort('${host}') never settled`, listenOnAnyPort(host))
  if (result?.server) closeAfterTest(result.server)
  expect(result?.server, 'listenOnAnyPort() should resolve with { server, port }, server being the net.Server it started')
    .toBeInstanceOf(net.Server)
  return result
}

describe('listenOnAnyPort(host)', () => {
  test('resolves with the listening server and the port it listens on, which is not 0', async () => {
    const { server, port } = await listenOnAnyPortOf('127.0.0.1')
    expect(port, 'port 0 means "any port" when asking; the port to report is the one the OS chose').not.toBe(0)
    const state = listeningState(server)
    expect(state, `the server is ${state}, but the port reported is ${port}`).toBe(`listening on ${endpoint('127.0.0.1', port)}`)
  })

  test("the port is inside the OS's ephemeral port range", async (context) => {
    const range = ephemeralPortRange()
    if ('unknown' in range) context.skip(range.unknown)
    const { low, high, source } = range as Exclude<typeof range, { unknown: string }>
    const { port } = await listenOnAnyPortOf('127.0.0.1')
    expect(low <= port && port <= high, `the OS hands out ports ${low}-${high} (${source}); the reported port is ${port}`)
      .toBe(true)
  })

  test("the kernel shows this process's LISTEN socket on that port", async (context) => {
    requireKernelSocketTable(context)
    const { port } = await listenOnAnyPortOf('127.0.0.1')
    expect(listenersOfThisProcess(port), `this process's LISTEN sockets on the reported port ${port}, as /proc/net/tcp shows them`).toEqual([
      endpoint('127.0.0.1', port),
    ])
  })

  test('three servers listening at once get three different ports', async () => {
    const attempts = await Promise.allSettled([1, 2, 3].map(() => listenOnAnyPortOf('127.0.0.1')))
    const rejected = attempts.filter((attempt) => attempt.status === 'rejected').map((attempt) => attempt.reason)
    const notAboutSockets = rejected.find((error) => !error?.code)
    if (notAboutSockets) throw notAboutSockets
    const failed = rejected.map((error) => error.message)
    expect(failed, 'three servers asked for at once, yet some could not listen').toEqual([])
    const ports = attempts.map((attempt) => (attempt as PromiseFulfilledResult<{ port: number }>).value.port)
    expect(new Set(ports).size, `three listening servers reported the ports ${ports.join(', ')}`).toBe(3)
  })

  test('the OS chose the port: the server was asked to listen on port 0', async () => {
    const { result, calls } = await recordListenCalls(() => listenOnAnyPortOf('127.0.0.1'))
    const onReturnedServer = calls.filter((call) => call.server === result.server)
    expect(onReturnedServer.length, 'the server it resolved with was never told to listen() during the call').toBeGreaterThan(0)
    const asked = onReturnedServer.at(-1)!.requestedPort
    const probes = calls.length - 1
    const probed = probes > 0 ? ` after ${probes} earlier listen() call(s) to find a free port` : ''
    expect(
      asked,
      `the server was told to listen on port ${asked}${probed}: a port the code picked, not the OS. ` +
        'A port that was free a moment ago can be taken before the listen; ask for port 0 and read the port back',
    ).toBe(0)
  })

  test('works on the IPv6 loopback address ::1 too', async (context) => {
    await requireAddress(context, '::1')
    const { server, port } = await listenOnAnyPortOf('::1')
    const state = listeningState(server)
    expect(state, `the server is ${state}, but the test asked for ::1 and the reported port ${port}`).toBe(
      `listening on ${endpoint('::1', port)}`,
    )
  })
})
