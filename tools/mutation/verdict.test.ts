import { describe, expect, test } from 'vitest'
import { entryFor, mutantsOf, verdictOf, type StrykerReport } from './verdict.ts'

const source = ['export function f(a: boolean) {', '  if (a) return 1', '  return 2', '}'].join('\n')

function report(statuses: Record<'condition' | 'block', string>): StrykerReport {
  return {
    files: {
      'solutions/f.ts': {
        source,
        mutants: [
          { mutatorName: 'ConditionalExpression', replacement: 'false', status: statuses.condition, location: { start: { line: 2, column: 7 }, end: { line: 2, column: 8 } } },
          { mutatorName: 'BlockStatement', replacement: '{}', status: statuses.block, location: { start: { line: 1, column: 31 }, end: { line: 4, column: 2 } } },
        ],
      },
    },
  }
}

describe('mutantsOf', () => {
  test('reads the code each mutant replaces, across lines, whitespace collapsed', () => {
    const [condition, block] = mutantsOf(report({ condition: 'Survived', block: 'Killed' }))
    expect(condition).toMatchObject({ file: 'solutions/f.ts', line: 2, original: 'a', replacement: 'false', lineText: 'if (a) return 1' })
    expect(block?.original).toBe('{ if (a) return 1 return 2 }')
  })
})

describe('verdictOf', () => {
  test('a survivor that is not listed is undetected; the score counts it', () => {
    const verdict = verdictOf(mutantsOf(report({ condition: 'Survived', block: 'Killed' })), [])
    expect(verdict.undetected.map((mutant) => mutant.mutator)).toEqual(['ConditionalExpression'])
    expect(verdict.score).toBe(50)
  })

  test('a listed survivor is equivalent, and set aside in the second score', () => {
    const mutants = mutantsOf(report({ condition: 'Survived', block: 'Timeout' }))
    const entry = { ...entryFor(mutants[0]!), reason: 'test' }
    const verdict = verdictOf(mutants, [entry])
    expect(verdict.undetected).toEqual([])
    expect(verdict.equivalent).toHaveLength(1)
    expect([verdict.score, verdict.scoreWithoutEquivalents]).toEqual([50, 100])
  })

  test('an entry whose line changed no longer matches: the mutant is undetected and the entry stale', () => {
    const mutants = mutantsOf(report({ condition: 'NoCoverage', block: 'Killed' }))
    const entry = { ...entryFor(mutants[0]!), line: 'if (a) return 3', reason: 'test' }
    const verdict = verdictOf(mutants, [entry])
    expect(verdict.undetected).toHaveLength(1)
    expect(verdict.stale).toEqual([entry])
  })

  test('a listed mutant the tests kill is reported as listed but detected', () => {
    const mutants = mutantsOf(report({ condition: 'Killed', block: 'Killed' }))
    const verdict = verdictOf(mutants, [{ ...entryFor(mutants[0]!), reason: 'test' }])
    expect(verdict.listedButDetected).toHaveLength(1)
    expect(verdict.score).toBe(100)
  })
})
