import { describe, expect, test } from 'vitest'
import { expectNoErrorListenerLeft } from '#harness/kata-process/left-behind.ts'
import { kataUnderTest, type Settlement } from '#harness/kata-process/kata-under-test.ts'
import { listeningStateOf, RemoteServer } from '#harness/kata-process/remote.ts'
import { ephemeralPortRange } from '#harness/kernel/ephemeral-ports.ts'
import { listenersOn } from '#harness/kernel/proc-net.ts'
import { describeOutcome, outcome } from '#harness/lifecycle/outcome.ts'
import { requireAddress, requireForeignAddress, requireKernelSocketTable } from '#harness/lifecycle/requirements.ts'
import { within } from '#harness/lifecycle/within.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { connectionAttempt, expectConnectable } from '#harness/sockets/tcp-peers.ts'

const kata = await kataUnderTest<typeof import('./port-zero.ts')>(import.meta.url)
const { listenOnAnyPort } = kata.exports

const LISTEN_MS = 2000

type Listening = { server: RemoteServer; port: number }

/** listenOnAnyPort(host), bounded; the server is the test's, closed after the test. */
async function listenOnAnyPortOf(host: string): Promise<Listening & { settlement: Settlement<Listening> }> {
  const call = listenOnAnyPort(host)
  const result = await within(LISTEN_MS, `listenOnAnyPort('${host}') never settled`, call)
  expect(result?.server, 'listenOnAnyPort() should resolve with { server, port }, server being the net.Server it started')
    .toBeInstanceOf(RemoteServer)
  return { ...result, settlement: await call.settlement }
}

/** The server listening on `host` at the reported port when the call resolved, and really there: a client gets in. */
async function expectListeningOn(host: string, { server, port }: Listening): Promise<void> {
  const state = listeningStateOf(server.facts)
  expect(state, `when listenOnAnyPort() resolved, the server was ${state}, but the test asked for ${host} (and it reported port ${port})`).toBe(
    `listening on ${endpoint(host, port)}`,
  )
  await expectConnectable(host, port, `listenOnAnyPort('${host}') reported port ${port}`)
}

describe('listenOnAnyPort(host)', () => {
  test('resolves with the listening server and the port it listens on, which is not 0', async () => {
    const listening = await listenOnAnyPortOf('127.0.0.1')
    expect(listening.port, 'port 0 means "any port" when asking; the port to report is the one the OS chose').not.toBe(0)
    await expectListeningOn('127.0.0.1', listening)
  })

  test("the port is inside the OS's ephemeral port range", async (context) => {
    const range = ephemeralPortRange()
    if ('unknown' in range) context.skip(range.unknown)
    const { low, high, source } = range as Exclude<typeof range, { unknown: string }>
    const listening = await listenOnAnyPortOf('127.0.0.1')
    await expectListeningOn('127.0.0.1', listening)
    const { port } = listening
    expect(low <= port && port <= high, `the OS hands out ports ${low}-${high} (${source}); the reported port is ${port}`)
      .toBe(true)
  })

  test("the kernel shows your process's LISTEN socket on that port", async (context) => {
    requireKernelSocketTable(context)
    const { port } = await listenOnAnyPortOf('127.0.0.1')
    expect(listenersOn(kata.socketOwner(), port), `your kata process's LISTEN sockets on the reported port ${port}, as /proc/net/tcp shows them`)
      .toEqual([endpoint('127.0.0.1', port)])
  })

  test('three servers listening at once get three different ports', async () => {
    const attempts = await Promise.allSettled([1, 2, 3].map(() => listenOnAnyPortOf('127.0.0.1')))
    const rejected = attempts.filter((attempt) => attempt.status === 'rejected').map((attempt) => attempt.reason)
    const notAboutSockets = rejected.find((error) => !error?.code)
    if (notAboutSockets) throw notAboutSockets
    const failed = rejected.map((error) => String(error.message))
    expect(failed, 'three servers asked for at once, yet some could not listen').toEqual([])
    const ports = attempts.map((attempt) => (attempt as PromiseFulfilledResult<Listening>).value.port)
    expect(new Set(ports).size, `three listening servers reported the ports ${ports.join(', ')}`).toBe(3)
  })

  test('the OS chose the port: the server was asked to listen on port 0', async () => {
    const listening = await listenOnAnyPortOf('127.0.0.1')
    await expectListeningOn('127.0.0.1', listening)
    const { server, settlement } = listening
    const calls = settlement.observed.listenCalls
    const onReturnedServer = calls.filter((call) => call.handle === server.id)
    expect(onReturnedServer.length, 'the server it resolved with was never told to listen() during the call').toBeGreaterThan(0)
    const asked = onReturnedServer.at(-1)!.port
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
    const listening = await listenOnAnyPortOf('::1')
    await expectListeningOn('::1', listening)
    expect(await connectionAttempt('::1', listening.port), `connecting to [::1]:${listening.port}`).toBe('connected')
  })

  test('listens on exactly the host it is given: 127.0.0.2 is not 127.0.0.1', async (context) => {
    await requireAddress(context, '127.0.0.2')
    const listening = await listenOnAnyPortOf('127.0.0.2')
    await expectListeningOn('127.0.0.2', listening)
    const { port } = listening
    expect(await connectionAttempt('127.0.0.2', port), `connecting to 127.0.0.2:${port}`).toBe('connected')
    expect(await connectionAttempt('127.0.0.1', port), `connecting to 127.0.0.1:${port}, where the server was not asked to listen`)
      .toBe('ECONNREFUSED')
  })

  test('an address this host does not have rejects with EADDRNOTAVAIL', async (context) => {
    const foreign = requireForeignAddress(context)
    const result = await outcome(LISTEN_MS, `listenOnAnyPort('${foreign}') never settled for an address this host does not have`, listenOnAnyPort(foreign))
    expect(
      result.resolved ? undefined : result.error.code,
      `${foreign} is not an address of this host, so listening fails and listenOnAnyPort() should reject with that error; it ${describeOutcome(result)}`,
    ).toBe('EADDRNOTAVAIL')
  })

  test("once it has resolved, it leaves no 'error' listener of its own on the server", async () => {
    const listening = await listenOnAnyPortOf('127.0.0.1')
    await expectListeningOn('127.0.0.1', listening)
    const { server } = listening
    expectNoErrorListenerLeft('listenOnAnyPort', server)
  })
})
