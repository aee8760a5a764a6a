import { expect, test } from 'vitest'
import { explainCodes } from './error-codes.ts'

test('error codes in a failure are explained once each, in order of mention', () => {
  expect(explainCodes('rejected with EADDRINUSE (listen EADDRINUSE 127.0.0.1:80), then EMSGSIZE; EWHATEVER').map((e) => e.code)).toEqual([
    'EADDRINUSE',
    'EMSGSIZE',
  ])
})

test("a bare TypeError from reading server.address() too early is explained in socket words", () => {
  const [explained] = explainCodes("Cannot read properties of null (reading 'port')\n    at katas/02-port-zero/port-zero.ts:11:33")
  expect(explained?.code).toBe('TypeError')
  expect(explained?.cause).toMatch(/server\.address\(\) is null while the server is not listening/)
})

test("EINVAL from a UDP send is Node's own check, as lesson 06 says, not the kernel's", () => {
  expect(explainCodes('rejected with EINVAL (send EINVAL ::1:44737)')[0]?.cause).toMatch(/Node refuses itself before any sendmsg\(\) reaches the kernel/)
})
