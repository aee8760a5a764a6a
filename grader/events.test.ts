import { expect, test } from 'vitest'
import { readEvents, signLine, type RunEvent } from './events.ts'

const key = 'k'.repeat(64)
const lines = (events: RunEvent[]) => events.map((event) => signLine(event, key)).join('\n')

test('readEvents rebuilds each kata: finished or not, test outcomes, the test still running', () => {
  const record = readEvents(
    lines([
      { type: 'kata-start', kata: '01-bind' },
      { type: 'test-start', kata: '01-bind', name: 'a' },
      { type: 'test', kata: '01-bind', name: 'a', state: 'passed' },
      { type: 'test', kata: '01-bind', name: 'b', state: 'failed', message: 'boom', console: 'hi\n', title: 'b', teaching: 'boom, explained' },
      { type: 'kata-end', kata: '01-bind', errors: [] },
      { type: 'kata-start', kata: '03-backlog' },
      { type: 'test-start', kata: '03-backlog', name: 'slow' },
    ]),
    key,
  )
  expect(record.unsigned).toBe(false)
  expect(record.completed).toBe(false)
  expect(record.katas.get('01-bind')).toEqual({
    kata: '01-bind',
    finished: true,
    errors: [],
    running: undefined,
    tests: new Map([
      ['a', { state: 'passed', title: undefined, message: undefined, teaching: undefined, note: undefined, console: undefined }],
      ['b', { state: 'failed', title: 'b', message: 'boom', teaching: 'boom, explained', note: undefined, console: 'hi\n' }],
    ]),
  })
  expect(record.katas.get('03-backlog')).toMatchObject({ finished: false, running: 'slow' })
})

test('a line the reporter did not sign is ignored, and marks the run as unsigned', () => {
  const forged = JSON.stringify({ type: 'test', kata: '01-bind', name: 'a', state: 'passed' })
  const text = [lines([{ type: 'kata-start', kata: '01-bind' }]), `0000 ${forged}`, lines([{ type: 'run-end', unhandledErrors: [] }])].join('\n')
  const record = readEvents(text, key)
  expect(record.unsigned).toBe(true)
  expect(record.katas.get('01-bind')?.tests.size).toBe(0)
  expect(readEvents(lines([{ type: 'kata-start', kata: '01-bind' }]), 'another key').katas.size).toBe(0)
})

test('a last line cut short by a kill is dropped quietly', () => {
  const text = `${lines([{ type: 'kata-start', kata: '01-bind' }])}\n${signLine({ type: 'run-end', unhandledErrors: [] }, key).slice(0, 30)}`
  const record = readEvents(text, key)
  expect(record.unsigned).toBe(false)
  expect(record.completed).toBe(false)
  expect(record.katas.has('01-bind')).toBe(true)
})
