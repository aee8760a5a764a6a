import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { descriptorLimitUnavailable } from '#harness/kata-process/descriptor-limit.ts'
import { kataUnderTest } from '#harness/kata-process/kata-under-test.ts'
import { procNetUnavailable } from '#harness/kernel/proc-net.ts'
import { describeOutcome, type Outcome } from '#harness/lifecycle/outcome.ts'
import { requireAddress, requireUdpDatagramsOf } from '#harness/lifecycle/requirements.ts'
import { DeadlineError, within } from '#harness/lifecycle/within.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { freeUdpPort } from '#harness/sockets/ports.ts'
import { udpReceiver } from '#harness/sockets/udp-peers.ts'

const kata = await kataUnderTest<typeof import('./udp-fire-and-forget.ts')>(import.meta.url)
const { fireAndForget } = kata.exports

/** A datagram is handed to the kernel at once; a sender has nothing else to wait for. */
const SEND_MS = 1000
const ARRIVAL_MS = 1000
/** The largest UDP payload in one IPv4 datagram: 65535 - 20 (IP header) - 8 (UDP header). */
const LARGEST_IPV4_PAYLOAD = 65507
/** Over IPv6 the 40-byte header is not counted in the 16-bit length: 65535 - 8. */
const LARGEST_IPV6_PAYLOAD = 65527

interface Sent {
  outcome: Outcome<number>
  /** The sockets of the call still open when its promise settled: what the kata process saw then, and the kernel right after. */
  openWhenSettled: string[]
  listenedForReplies: boolean
}

/** fireAndForget(), bounded: how it ended, and whether its socket was closed by then. */
async function send(host: string, port: number, payload: string | Uint8Array): Promise<Sent> {
  const call = fireAndForget(host, port, payload)
  try {
    await within(SEND_MS, `fireAndForget() to ${endpoint(host, port)} never settled (UDP has no reply to wait for)`, call)
  } catch (error) {
    if (error instanceof DeadlineError || !(error as NodeJS.ErrnoException).code) throw error
  }
  const kernel = procNetUnavailable() ? [] : (await kata.sockets('udp')).map((row) => `a UDP socket bound to ${endpoint(row.localAddress, row.localPort)}`)
  const { outcome, observed } = await call.settlement
  return { outcome, openWhenSettled: [...new Set([...observed.openAtSettle, ...kernel])], listenedForReplies: observed.listenedForUdpMessages }
}

describe('fireAndForget(host, port, payload)', () => {
  test('the receiver gets the exact payload, in exactly one datagram', async () => {
    const receiver = await udpReceiver('127.0.0.1')
    const payload = 'héllo, UDP ☃'
    const { outcome } = await send('127.0.0.1', receiver.port, payload)
    const bytes = Buffer.byteLength(payload)
    expect(outcome, `sending "${payload}" (${bytes} bytes in UTF-8; ${payload.length} characters)`).toEqual({ resolved: true, value: bytes })
    const datagrams = await receiver.everythingSent(ARRIVAL_MS, 'the receiver got no datagram')
    expect(datagrams.map(String), `datagrams the receiver got for one fireAndForget("${payload}")`).toEqual([payload])
  })

  test(`a ${LARGEST_IPV4_PAYLOAD}-byte payload, the most one IPv4 datagram carries, arrives whole in one datagram`, async (context) => {
    requireUdpDatagramsOf(context, LARGEST_IPV4_PAYLOAD)
    const receiver = await udpReceiver('127.0.0.1')
    const payload = new Uint8Array(randomBytes(LARGEST_IPV4_PAYLOAD))
    const { outcome } = await send('127.0.0.1', receiver.port, payload)
    expect(outcome, `sending ${LARGEST_IPV4_PAYLOAD} bytes`).toEqual({ resolved: true, value: LARGEST_IPV4_PAYLOAD })
    const datagrams = await receiver.everythingSent(ARRIVAL_MS, 'the receiver got no datagram')
    expect(datagrams.map((d) => d.length), 'sizes of the datagrams the receiver got for one payload').toEqual([LARGEST_IPV4_PAYLOAD])
    expect(Buffer.compare(datagrams[0]!, payload), 'the datagram received should hold exactly the bytes sent').toBe(0)
  })

  test('with nothing listening on the port, it still resolves with the bytes sent, as when a receiver is there', async () => {
    const port = await freeUdpPort('127.0.0.1')
    const { outcome } = await send('127.0.0.1', port, 'anyone there?')
    expect(outcome, `sending to ${endpoint('127.0.0.1', port)}, where nothing listens: ${describeOutcome(outcome)}`).toEqual({ resolved: true, value: 13 })
    // Nothing on the wire tells a datagram sent to no one from one never sent: the same call to a receiver must arrive.
    const receiver = await udpReceiver('127.0.0.1')
    const again = await send('127.0.0.1', receiver.port, 'anyone there?')
    expect(again.outcome, `the same payload to a receiver: ${describeOutcome(again.outcome)}`).toEqual({ resolved: true, value: 13 })
    expect((await receiver.everythingSent(ARRIVAL_MS, 'the receiver got no datagram')).map(String), 'what the receiver got').toEqual(['anyone there?'])
  })

  test(`a ${LARGEST_IPV4_PAYLOAD + 1}-byte payload rejects with EMSGSIZE, its socket already closed`, async () => {
    const receiver = await udpReceiver('127.0.0.1')
    const { outcome, openWhenSettled } = await send('127.0.0.1', receiver.port, new Uint8Array(LARGEST_IPV4_PAYLOAD + 1))
    expect(
      outcome.resolved ? undefined : outcome.error.code,
      `one byte more than an IPv4 datagram holds should reject with the send error; it ${describeOutcome(outcome)}`,
    ).toBe('EMSGSIZE')
    expect(openWhenSettled, 'sockets still open when the promise rejected: close the socket before rejecting').toEqual([])
  })

  test('sends to an IPv6 address as readily as to an IPv4 one', async (context) => {
    await requireAddress(context, '::1')
    const receiver = await udpReceiver('::1')
    const { outcome } = await send('::1', receiver.port, 'over IPv6')
    expect(outcome, `sending to ${endpoint('::1', receiver.port)}: ${describeOutcome(outcome)}`).toEqual({ resolved: true, value: 9 })
    const datagrams = await receiver.everythingSent(ARRIVAL_MS, 'the IPv6 receiver got no datagram')
    expect(datagrams.map(String), 'datagrams the IPv6 receiver got').toEqual(['over IPv6'])
  })

  test('any IPv6 literal will do: the long form of ::1, and an IPv4-mapped address', async (context) => {
    await requireAddress(context, '::1')
    const overIPv6 = await udpReceiver('::1')
    const longForm = '0:0:0:0:0:0:0:1'
    const first = await send(longForm, overIPv6.port, 'long form')
    expect(first.outcome, `sending to [${longForm}]:${overIPv6.port}: ${describeOutcome(first.outcome)}`).toEqual({ resolved: true, value: 9 })
    expect((await overIPv6.everythingSent(ARRIVAL_MS, 'the IPv6 receiver got no datagram')).map(String)).toEqual(['long form'])
    const overIPv4 = await udpReceiver('127.0.0.1')
    const mapped = '::ffff:127.0.0.1'
    const second = await send(mapped, overIPv4.port, 'mapped')
    expect(
      second.outcome,
      `sending to [${mapped}]:${overIPv4.port} (127.0.0.1, written as an IPv6 address): ${describeOutcome(second.outcome)}`,
    ).toEqual({ resolved: true, value: 6 })
    expect((await overIPv4.everythingSent(ARRIVAL_MS, 'the receiver on 127.0.0.1 got no datagram')).map(String)).toEqual(['mapped'])
  })

  test(`over IPv6 a datagram carries more: ${LARGEST_IPV6_PAYLOAD} bytes arrive whole in one datagram`, async (context) => {
    await requireAddress(context, '::1')
    requireUdpDatagramsOf(context, LARGEST_IPV6_PAYLOAD)
    const receiver = await udpReceiver('::1')
    const payload = new Uint8Array(randomBytes(LARGEST_IPV6_PAYLOAD))
    const { outcome } = await send('::1', receiver.port, payload)
    expect(outcome, `sending ${LARGEST_IPV6_PAYLOAD} bytes over IPv6, past the IPv4 limit of ${LARGEST_IPV4_PAYLOAD}: ${describeOutcome(outcome)}`).toEqual({
      resolved: true,
      value: LARGEST_IPV6_PAYLOAD,
    })
    const datagrams = await receiver.everythingSent(ARRIVAL_MS, 'the IPv6 receiver got no datagram')
    expect(datagrams.map((d) => d.length), 'sizes of the datagrams the receiver got for one payload').toEqual([LARGEST_IPV6_PAYLOAD])
  })

  test('an empty payload is one empty datagram: it resolves with 0', async () => {
    const receiver = await udpReceiver('127.0.0.1')
    const { outcome } = await send('127.0.0.1', receiver.port, new Uint8Array(0))
    expect(outcome, `sending an empty payload: ${describeOutcome(outcome)}`).toEqual({ resolved: true, value: 0 })
    const datagrams = await receiver.everythingSent(ARRIVAL_MS, 'the receiver got no datagram for an empty payload')
    expect(datagrams.map((d) => d.length), 'sizes of the datagrams the receiver got for an empty payload').toEqual([0])
  })

  test('a Uint8Array that views part of a larger buffer sends exactly the bytes it views', async () => {
    const receiver = await udpReceiver('127.0.0.1')
    const behind = new ArrayBuffer(18)
    Buffer.from(behind).write('....the middle....')
    const view = new Uint8Array(behind, 4, 10)
    const { outcome } = await send('127.0.0.1', receiver.port, view)
    expect(outcome.resolved, `sending a 10-byte view into an 18-byte buffer: ${describeOutcome(outcome)}`).toBe(true)
    const datagrams = await receiver.everythingSent(ARRIVAL_MS, 'the receiver got no datagram')
    expect(
      datagrams.map((d) => d.length),
      'sizes of the datagrams the receiver got for a view of bytes 4 to 13 of an 18-byte ArrayBuffer: the view has its own offset and ' +
        'length into the buffer behind it (byteOffset, byteLength), and only those bytes are the payload',
    ).toEqual([10])
    expect(datagrams.map(String), 'what arrived for a view of bytes 4 to 13').toEqual(['the middle'])
    expect(outcome, 'the byte count it resolved with').toEqual({ resolved: true, value: 10 })
  })

  test('resolves without waiting for a reply, its socket already closed', async () => {
    const receiver = await udpReceiver('127.0.0.1')
    const { outcome, openWhenSettled, listenedForReplies } = await send('127.0.0.1', receiver.port, 'no reply expected')
    expect(outcome.resolved, `sending to a receiver that never replies: ${describeOutcome(outcome)}`).toBe(true)
    expect((await receiver.everythingSent(ARRIVAL_MS, 'the receiver got no datagram')).map(String), 'what the receiver got').toEqual(['no reply expected'])
    expect(
      listenedForReplies,
      "a UDP socket listened for 'message' during the call: a fire-and-forget sender expects no reply and should not wait for one",
    ).toBe(false)
    expect(openWhenSettled, 'sockets still open when the promise resolved: close the socket before resolving').toEqual([])
  })

  test("when its socket cannot even be bound (no file descriptor left: EMFILE), it rejects with that error", async (context) => {
    const unavailable = descriptorLimitUnavailable()
    if (unavailable) context.skip(unavailable)
    const receiver = await udpReceiver('127.0.0.1')
    // The first send binds the socket implicitly; with no descriptor left, that bind fails as an 'error' event, and the send never completes.
    const { outcome, openWhenSettled } = await kata.withNoFreeDescriptor(() => send('127.0.0.1', receiver.port, 'no room'))
    expect(
      outcome.resolved ? undefined : outcome.error.code,
      `with no file descriptor left in the process, fireAndForget() should reject with the bind error; it ${describeOutcome(outcome)} ` +
        "(the implicit bind's failure comes as an 'error' event on the socket, not to the send callback)",
    ).toBe('EMFILE')
    expect(openWhenSettled, 'sockets still open when the promise rejected: close the socket before rejecting').toEqual([])
  })
})
