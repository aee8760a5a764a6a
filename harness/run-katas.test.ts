import { expect, test } from 'vitest'
import { parseJsonReport } from './run-katas.ts'

test("parseJsonReport files each test under its kata, and a file that failed to load as a file error", () => {
  const json = JSON.stringify({
    testResults: [
      {
        name: '/p/katas/01-bind/bind.test.ts',
        status: 'failed',
        message: '',
        assertionResults: [
          { fullName: 'bind() listens', status: 'passed', failureMessages: [] },
          { fullName: 'bind() refuses', status: 'failed', failureMessages: ['AssertionError: connected'] },
          { fullName: 'bind() on ::1', status: 'skipped', failureMessages: [] },
        ],
      },
      { name: '/p/katas/02-port-zero/port-zero.test.ts', status: 'failed', message: 'SyntaxError', assertionResults: [] },
    ],
  })
  expect(parseJsonReport(json)).toEqual({
    tests: [
      { kata: '01-bind', name: 'bind() listens', state: 'passed', failureMessages: [] },
      { kata: '01-bind', name: 'bind() refuses', state: 'failed', failureMessages: ['AssertionError: connected'] },
      { kata: '01-bind', name: 'bind() on ::1', state: 'skipped', failureMessages: [] },
    ],
    fileErrors: [{ kata: '02-port-zero', message: 'SyntaxError' }],
  })
})
