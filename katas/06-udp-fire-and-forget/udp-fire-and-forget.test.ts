import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { fireAndForget } from './udp-fire-and-forget.ts'
import { endpoint } from '#harness/sockets/addresses.ts'
import { describeOutcome, type Outcome } from '#harness/lifecycle/outcome.ts'
import { freeUdpPort } from '#harness/sockets/ports.ts'
import { requireAddress, requireUdpDatagramsOf } from '#harness/lifecycle/requirements.ts'
import { udpReceiver, watchUdpSenders } from '#harness/sockets/udp-peers.ts'
import { DeadlineError, within } from '#harness/lifecycle/within.ts'

/** A datagram is handed to the kernel at once; a sender has nothing else to wait for. */
const SEND_MS = 1000
const ARRIVAL_MS = 1000
/** The largest UDP payload in one IPv4 datagram: 65535 - 20 (IP header) - 8 (UDP header). */
const LARGEST_IPV4_PAYLOAD = 65507

interface Sent {
  outcome: Outcome<number>
  /** The sender's sockets still open at the moment its promise settled. */
  openWhenSettled: string[]
  listenedForReplies: boolean
}

/** fireAndForget(), bounded, watching its socket: was it closed when the promise settled? */
async function send(host: string, port: number, payload: string | Uint8Array): Promise<Sent> {
  const { settled, openWhenSettled, listenedForReplies } = await watchUdpSenders(() =>
    within(SEND_MS, `fireAndForget() to ${endpoint(host, port)} never settled (UDP has no reply to wait for)`, fireAndForget(host, port, payload)),
  )
  if (settled.status === 'rejected' && settled.reason instanceof DeadlineError) throw settled.reason
  const outcome: Outcome<number> =
    settled.status === 'fulfilled' ? { resolved: true, value: settled.value } : { resolved: false, error: settled.reason }
  return { outcome, openWhenSettled, listenedForReplies }
}

describe('fireAndForget(host, port, payload)', () => {
  test('the receiver gets the exact payload, in exactly one datagram', async () => {
    const receiver = await udpReceiver('127.0.0.1')
    const payload = 'héllo, UDP ☃'
    const { outcome } = await send('127.0.0.1', receiver.port, payload)
    const bytes = Buffer.byteLength(payload)
    expect(outcome, `sending "${payload}" (${bytes} bytes in UTF-8; ${payload.length} characters)`).toEqual({
      resolved: true,
      value: bytes,
    })
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
    expect(datagrams.map((d) => d.length), 'sizes of the datagrams the receiver got for one payload').toEqual([
      LARGEST_IPV4_PAYLOAD,
    ])
    expect(Buffer.compare(datagrams[0]!, payload), 'the datagram received should hold exactly the bytes sent').toBe(0)
  })

  test('with nothing listening on the port, it still resolves with the bytes sent', async () => {
    const port = await freeUdpPort('127.0.0.1')
    const { outcome } = await send('127.0.0.1', port, 'anyone there?')
    expect(outcome, `sending to ${endpoint('127.0.0.1', port)}, where nothing listens: ${describeOutcome(outcome)}`).toEqual({
      resolved: true,
      value: 13,
    })
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
    expect(outcome, `sending to ${endpoint('::1', receiver.port)}: ${describeOutcome(outcome)}`).toEqual({
      resolved: true,
      value: 9,
    })
    const datagrams = await receiver.everythingSent(ARRIVAL_MS, 'the IPv6 receiver got no datagram')
    expect(datagrams.map(String), 'datagrams the IPv6 receiver got').toEqual(['over IPv6'])
  })

  test('resolves without waiting for a reply, its socket already closed', async () => {
    const receiver = await udpReceiver('127.0.0.1')
    const { outcome, openWhenSettled, listenedForReplies } = await send('127.0.0.1', receiver.port, 'no reply expected')
    expect(outcome.resolved, `sending to a receiver that never replies: ${describeOutcome(outcome)}`).toBe(true)
    expect(
      listenedForReplies,
      "a UDP socket listened for 'message' during the call: a fire-and-forget sender expects no reply and should not wait for one",
    ).toBe(false)
    expect(openWhenSettled, 'sockets still open when the promise resolved: close the socket before resolving').toEqual([])
  })
})
