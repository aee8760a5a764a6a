import { expect, test } from 'vitest'
import { listenRequestOf } from './observe.ts'

test.each([
  [[0, '127.0.0.1'], { port: 0, host: '127.0.0.1', backlog: null }],
  [[8080, '::1', 5, () => {}], { port: 8080, host: '::1', backlog: 5 }],
  [[8080, 7], { port: 8080, host: null, backlog: 7 }],
  [['8080'], { port: 8080, host: null, backlog: null }],
  [[{ port: 4000, host: '0.0.0.0', backlog: 3 }], { port: 4000, host: '0.0.0.0', backlog: 3 }],
  [[{ host: '127.0.0.1' }, () => {}], { port: 0, host: '127.0.0.1', backlog: null }],
  [[() => {}], { port: 0, host: null, backlog: null }],
  [[], { port: 0, host: null, backlog: null }],
])('listenRequestOf(%j)', (args, expected) => {
  expect(listenRequestOf(args)).toEqual(expected)
})
