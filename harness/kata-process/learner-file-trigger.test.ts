import { expect, test } from 'vitest'
import { learnerFileTrigger } from './learner-file-trigger.ts'

test("a saved kata file re-runs that kata's tests; nothing else does", () => {
  const { pattern, testsToRun } = learnerFileTrigger('/home/me/socket-katas/katas', '/home/me/socket-katas/katas')
  const run = (file: string) => {
    const match = file.match(pattern)
    return match ? testsToRun(file, match) : null
  }
  expect(run('/home/me/socket-katas/katas/03-backlog/backlog.ts')).toBe('/home/me/socket-katas/katas/03-backlog/backlog.test.ts')
  expect(run('/home/me/socket-katas/katas/03-backlog/helper.ts')).toBe('/home/me/socket-katas/katas/03-backlog/backlog.test.ts')
  expect(run('/home/me/socket-katas/solutions/03-backlog/backlog.ts')).toBeNull()
  expect(run('/home/me/socket-katas/katas/03-backlog/README.md')).toBeNull()
})
