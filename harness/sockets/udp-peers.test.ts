import dgram from 'node:dgram'
import { expect, test } from 'vitest'
import { closeEverythingOwned } from '../lifecycle/cleanup.ts'
import { udpReceiver } from './udp-peers.ts'

test('a UDP receiver hands back every datagram sent to it, each whole, in order', async () => {
  const receiver = await udpReceiver('127.0.0.1')
  const sender = dgram.createSocket('udp4')
  for (const text of ['one', '', 'three']) await new Promise((resolve) => sender.send(text, receiver.port, '127.0.0.1', resolve))
  await new Promise((resolve) => setTimeout(resolve, 20))
  expect((await receiver.everythingSent(1000, 'nothing arrived')).map(String)).toEqual(['one', '', 'three'])
  sender.close()
  await closeEverythingOwned()
})
