import { describe, expect, test } from 'vitest'
import { decodeAddress, parseProcNet, parseProcNetUnix } from './proc-net.ts'

// Captured from /proc/net/tcp and /proc/net/tcp6 on x86_64 Linux (little-endian words).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:A0FA 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 812345 1 0000000000000000 100 0 0 10 0
   1: 0100007F:D2A4 0100007F:A0FA 02 00000001:00000000 01:00000195 00000000     0        0 812399 2 0000000000000000 100 0 0 10 0
   2: 0100007F:A0FA 0100007F:C350 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
`
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:C000 01 00000000:00000000 00:00000000 00000000     0        0 9002 1 0000000000000000 20 4 30 10 -1
`

describe('parseProcNet', () => {
  test('reads IPv4 rows: endpoints, state, queues and inode', () => {
    const [listener, connecting, timeWait] = parseProcNet(TCP, 'tcp')
    expect(listener).toEqual({
      protocol: 'tcp',
      state: 'LISTEN',
      localAddress: '127.0.0.1',
      localPort: 41210,
      remoteAddress: '0.0.0.0',
      remotePort: 0,
      receiveQueue: 2,
      sendQueue: 0,
      inode: 812345,
      uid: 0,
    })
    expect(connecting).toMatchObject({ state: 'SYN-SENT', localPort: 53924, remotePort: 41210, sendQueue: 1 })
    expect(timeWait).toMatchObject({ state: 'TIME-WAIT', inode: 0 })
  })

  test('reads IPv6 rows, IPv4-mapped addresses included', () => {
    const [listener, mapped] = parseProcNet(TCP6, 'tcp')
    expect(listener).toMatchObject({ state: 'LISTEN', localAddress: '::1', localPort: 8080, remoteAddress: '::' })
    expect(mapped).toMatchObject({ state: 'ESTAB', localAddress: '::ffff:127.0.0.1', remotePort: 49152 })
  })

  test('names UDP sockets UNCONN or ESTAB, as ss does', () => {
    const udp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  7: 0100007F:9C40 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5555 2 0000000000000000 0
  8: 0100007F:9C41 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 5556 2 0000000000000000 0`
    expect(parseProcNet(udp, 'udp').map((row) => row.state)).toEqual(['UNCONN', 'ESTAB'])
  })
})

describe('decodeAddress', () => {
  test.each([
    ['0100007F', '127.0.0.1'],
    ['00000000', '0.0.0.0'],
    ['00000000000000000000000001000000', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['000080FE00000000FF000000010000FE', 'fe80::ff:fe00:1'],
    ['B80D0120000000000000000001000000', '2001:db8::1'],
    ['B80D0120010000000000000001000000', '2001:db8:0:1::1'],
  ])('%s is %s', (hex, address) => {
    expect(decodeAddress(hex)).toBe(address)
  })
})

// Captured from /proc/net/unix on x86_64 Linux: a listener, a connected pair (one end unnamed), a path with a space, an abstract name.
const UNIX = `Num       RefCount Protocol Flags    Type St Inode Path
00000000ba828ace: 00000002 00000000 00010000 0001 01 5772581 /var/run/docker.sock
00000000fbf72ce2: 00000003 00000000 00000000 0001 03 5829713 /tmp/k16-a/live server
00000000cbd9ba53: 00000003 00000000 00000000 0001 03 5828274
00000000e391a128: 00000002 00000000 00000000 0002 01 5842789 @/org/example
`

describe('parseProcNetUnix', () => {
  test('reads type, state, the listening flag, inode and path (spaces kept, none for an unnamed socket)', () => {
    expect(parseProcNetUnix(UNIX)).toEqual([
      { type: 'stream', state: '01', listening: true, inode: 5772581, path: '/var/run/docker.sock' },
      { type: 'stream', state: '03', listening: false, inode: 5829713, path: '/tmp/k16-a/live server' },
      { type: 'stream', state: '03', listening: false, inode: 5828274, path: '' },
      { type: 'dgram', state: '01', listening: false, inode: 5842789, path: '@/org/example' },
    ])
  })
})
