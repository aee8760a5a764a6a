import { expect, test } from 'vitest'
import { missingKataFeatures, reusePortUnsupported } from './node-features.ts'

test('reusePort: from 22.12 on the 22 line, 23.1 on the odd line, and every later major', () => {
  const supported = ['22.12.0', '22.23.3', 'v23.1.0', '24.0.0', '26.1.0']
  const unsupported = ['20.20.2', '22.11.9', '23.0.0', 'v18.19.0']
  for (const version of supported) expect(reusePortUnsupported(version), version).toBeUndefined()
  for (const version of unsupported) expect(reusePortUnsupported(version), version).toMatch(/came in Node 22\.12 and 23\.1/)
})

test('a Node that lacks a feature some kata needs is named with the reason', () => {
  expect(missingKataFeatures('20.20.2')).toContain('this Node (20.20.2) has no reusePort option')
  expect(missingKataFeatures('24.21.0')).toBeUndefined()
})
