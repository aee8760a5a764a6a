import { describe, expect, test } from 'vitest'
import { checkKataSource, requiredExportsOf } from './static-checks.ts'

const ok = "import net from 'node:net'\nexport function bind(host: string, port: number): Promise<net.Server> { return Promise.reject(new Error()) }\n"

describe('checkKataSource', () => {
  test('a file that imports only built-ins and exports the contract passes; type errors are not graded', () => {
    expect(checkKataSource(ok, 'bind.ts', ['bind'])).toBeUndefined()
    expect(checkKataSource(`${ok}const n: number = 'not a number'\n`, 'bind.ts', ['bind'])).toBeUndefined()
    expect(checkKataSource("import dgram from 'dgram'\nexport const bind = () => dgram\n", 'bind.ts', ['bind'])).toBeUndefined()
  })

  test("a syntax error is reported with the compiler's own message and position", () => {
    expect(checkKataSource('export function bind(host: string {\n', 'bind.ts', ['bind'])).toEqual({
      problem: 'compile-error',
      reason: "does not compile: bind.ts:1:35 ',' expected.; bind.ts:2:1 '}' expected.",
    })
  })

  test.each([
    ["import { vi } from 'vitest'", 'imports the test framework (vitest)'],
    ["import type { TestContext } from 'vitest'", 'imports the test framework (vitest)'],
    ["const v = await import('vitest')", 'imports the test framework (vitest)'],
    ["import { within } from '#harness/lifecycle/within.ts'", 'imports the test harness (#harness/lifecycle/within.ts)'],
    ["import { within } from '../../harness/lifecycle/within.ts'", 'imports the test harness (../../harness/lifecycle/within.ts)'],
    ["export * from '../../solutions/01-bind/bind.ts'", 'imports ../../solutions/01-bind/bind.ts; only the kata file itself is graded'],
    ["const r = require('get-port')", 'imports get-port, which the grader does not provide'],
    ["const name = 'vit' + 'est'; await import(name)", 'imports a module whose name is computed at run time'],
  ])('%s is refused: %s', (line, reason) => {
    const result = checkKataSource(`${line}\n${ok}`, 'bind.ts', ['bind'])
    expect(result?.problem).toBe('forbidden-import')
    expect(result?.reason).toContain(reason)
  })

  test('a missing export is named', () => {
    expect(checkKataSource("export function bindServer() {}\nexport type Unused = number\n", 'bind.ts', ['bind'])).toEqual({
      problem: 'missing-export',
      reason: 'does not export bind()',
    })
  })
})

test("requiredExportsOf lists a stub's exported values, not its types", () => {
  const stub = 'export interface Accepted { socket: unknown }\nexport type X = 1\nexport function acceptOne() {}\nexport const helper = 1\nconst a = 1\nexport { a as renamed }\n'
  expect(requiredExportsOf(stub)).toEqual(['acceptOne', 'helper', 'renamed'])
})
