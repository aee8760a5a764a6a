import { expect, test } from 'vitest'
import { ephemeralPortRange, parsePortRange } from './ephemeral-ports.ts'

test('parsePortRange reads "low<tab>high"', () => {
  expect(parsePortRange('32768\t60999\n', 'x')).toEqual({ low: 32768, high: 60999, source: 'x' })
  expect(parsePortRange('garbage', 'x')).toEqual({ unknown: 'could not read x: "garbage"' })
})

test.runIf(process.platform === 'linux')('on Linux the range comes from /proc/sys/net/ipv4/ip_local_port_range', () => {
  expect(ephemeralPortRange()).toMatchObject({ source: '/proc/sys/net/ipv4/ip_local_port_range' })
})
