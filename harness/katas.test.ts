import { expect, test } from 'vitest'
import { kataFromFolder, kataOfTestFile, listKatas } from './katas.ts'
import { katasDir } from './paths.ts'

test('a kata folder NN-slug names its implementation and test files after the slug', () => {
  expect(kataFromFolder('06-udp-fire-and-forget')).toEqual({
    number: '06',
    slug: 'udp-fire-and-forget',
    folder: '06-udp-fire-and-forget',
    implementationFile: 'udp-fire-and-forget.ts',
    testFile: 'udp-fire-and-forget.test.ts',
  })
  expect([kataFromFolder('node_modules'), kataFromFolder('1-bind'), kataFromFolder('01-Bind')]).toEqual([
    undefined,
    undefined,
    undefined,
  ])
})

test('the test file of a kata is recognised from its path, and nothing else is', () => {
  expect(kataOfTestFile('/x/katas/03-backlog/backlog.test.ts')?.folder).toBe('03-backlog')
  expect(kataOfTestFile('/x/katas/03-backlog/other.test.ts')).toBeUndefined()
})

test('listKatas finds the seventeen katas in order', () => {
  expect(listKatas(katasDir).map((kata) => kata.folder)).toEqual([
    '01-bind',
    '02-port-zero',
    '03-backlog',
    '04-accept',
    '05-refused',
    '06-udp-fire-and-forget',
    '07-stream-framing',
    '08-half-close',
    '09-reset-and-time-wait',
    '10-backpressure',
    '11-udp-request-reply',
    '12-dual-stack',
    '13-names',
    '14-four-tuple',
    '15-nodelay-keepalive',
    '16-unix-sockets',
    '17-reuse-port',
  ])
})
