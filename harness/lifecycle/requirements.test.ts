import { describe, expect, test } from 'vitest'
import { reusePortUnsupported } from './requirements.ts'

describe('reusePortUnsupported(version)', () => {
  test.each(['22.12.0', '22.23.3', 'v22.12.0', '23.1.0', '23.11.1', '24.0.0', '24.21.0', '26.1.0'])('Node %s shares a port', (version) => {
    expect(reusePortUnsupported(version)).toBeUndefined()
  })

  test.each(['20.20.2', 'v20.19.0', '21.7.3', '22.11.0', '22.0.0', '23.0.0', '18.20.8'])('Node %s ignores reusePort: the reason says so', (version) => {
    expect(reusePortUnsupported(version)).toMatch(/^Node \d+\.\d+\.\d+ ignores listen\(\)'s reusePort \(SO_REUSEPORT needs Node 22\.12 or later/)
  })
})
