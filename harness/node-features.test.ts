import { describe, expect, test } from 'vitest'
import { missingKataFeatures, reusePortUnsupported } from './node-features.ts'

describe('reusePortUnsupported(version)', () => {
  test.each(['22.12.0', '22.23.3', 'v22.12.0', '23.1.0', '23.11.1', '24.0.0', '24.21.0', '26.1.0'])('Node %s shares a port', (version) => {
    expect(reusePortUnsupported(version)).toBeUndefined()
  })

  test.each(['20.20.2', 'v20.19.0', '21.7.3', '22.11.0', '22.0.0', '23.0.0', '18.20.8'])('Node %s ignores reusePort: the reason says so', (version) => {
    expect(reusePortUnsupported(version)).toMatch(/^Node \d+\.\d+\.\d+ ignores listen\(\)'s reusePort \(SO_REUSEPORT needs Node 22\.12 or later/)
  })
})

test('a Node that lacks a feature some kata needs is named with the reason', () => {
  expect(missingKataFeatures('20.20.2')).toBe("Node 20.20.2 ignores listen()'s reusePort (SO_REUSEPORT needs Node 22.12 or later, 23.1 on Node 23)")
  expect(missingKataFeatures('24.21.0')).toBeUndefined()
})
