import { expect, test } from 'vitest'

// The start-up floor for `npm run bench`: one trivial test run through the kata project's own config.
test('one trivial test', () => {
  expect(1 + 1).toBe(2)
})
