import dgram from 'node:dgram'
import { expect, test } from 'vitest'
import { closeEverythingOwned } from '../lifecycle/cleanup.ts'
import { udpReceiver, watchUdpSenders } from './udp-peers.ts'

test('watchUdpSenders sees who sent, what was still open when the call settled, and any wait for a reply', async () => {
  const receiver = await udpReceiver('127.0.0.1')
  const descriptors = Object.getOwnPropertyNames(dgram.Socket.prototype).sort()
  const sender = dgram.createSocket('udp4')
  const watched = await watchUdpSenders(
    () =>
      new Promise<number>((resolve) => {
        sender.once('message', () => {})
        sender.send('hi', receiver.port, '127.0.0.1', (_error, bytes) => resolve(bytes))
      }),
  )
  expect(watched.settled).toEqual({ status: 'fulfilled', value: 2 })
  expect(watched.senders).toEqual([sender])
  expect(watched.listenedForReplies).toBe(true)
  expect(watched.openWhenSettled).toEqual([expect.stringMatching(/^a UDP socket bound to 0\.0\.0\.0:\d+$/)])
  expect(Object.getOwnPropertyNames(dgram.Socket.prototype).sort(), 'the prototype is put back as it was').toEqual(descriptors)
  expect((await receiver.everythingSent(1000, 'nothing arrived')).map(String)).toEqual(['hi'])
  sender.close()
  await closeEverythingOwned()
})
