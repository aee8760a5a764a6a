/**
 * What a Stryker run means for the project: every mutant of solutions/ must be detected by the kata
 * tests (killed, or timed out) or be listed in equivalent-mutants.json as equivalent, with the reason.
 * Stryker numbers its mutants afresh on each run, so the list names a mutant by what stays put: its
 * file, its mutator, the line it is on, the code it replaces and the replacement.
 */

/** The part of Stryker's JSON report (mutation-testing-report-schema) read here. */
export interface StrykerReport {
  files: Record<string, { source: string; mutants: ReportedMutant[] }>
}

interface ReportedMutant {
  mutatorName: string
  replacement?: string
  status: string
  statusReason?: string
  location: { start: { line: number; column: number }; end: { line: number; column: number } }
}

export interface Mutant {
  file: string
  line: number
  column: number
  mutator: string
  /** The code the mutant replaces, and what it puts there, whitespace collapsed. */
  original: string
  replacement: string
  /** The line the mutant starts on, trimmed. */
  lineText: string
  status: string
  statusReason?: string
}

/** An entry of equivalent-mutants.json. */
export interface EquivalentMutant {
  file: string
  mutator: string
  line: string
  original: string
  replacement: string
  reason: string
}

/** Stryker's statuses that count as the tests noticing the mutant. */
const DETECTED = new Set(['Killed', 'Timeout'])
/** Mutants that play no part in the verdict or the score: switched off in the source, or not valid code. */
const NOT_JUDGED = new Set(['Ignored', 'CompileError'])

export function mutantsOf(report: StrykerReport): Mutant[] {
  return Object.entries(report.files).flatMap(([file, { source, mutants }]) => {
    const lines = source.split('\n')
    return mutants.map((mutant) => {
      const { start, end } = mutant.location
      return {
        file,
        line: start.line,
        column: start.column,
        mutator: mutant.mutatorName,
        original: collapse(textBetween(lines, start, end)),
        replacement: collapse(mutant.replacement ?? ''),
        lineText: (lines[start.line - 1] ?? '').trim(),
        status: mutant.status,
        statusReason: mutant.statusReason,
      }
    })
  })
}

/** The source between two 1-based positions (the end column is exclusive). */
function textBetween(lines: string[], start: { line: number; column: number }, end: { line: number; column: number }): string {
  const span = lines.slice(start.line - 1, end.line)
  if (span.length === 0) return ''
  span[span.length - 1] = span[span.length - 1]!.slice(0, end.column - 1) // first: on one line, both ends cut the same text
  span[0] = span[0]!.slice(start.column - 1)
  return span.join('\n')
}

const collapse = (code: string) => code.replace(/\s+/g, ' ').trim()

export function isListed(mutant: Mutant, entry: EquivalentMutant): boolean {
  return (
    entry.file === mutant.file &&
    entry.mutator === mutant.mutator &&
    collapse(entry.line) === collapse(mutant.lineText) &&
    collapse(entry.original) === mutant.original &&
    collapse(entry.replacement) === mutant.replacement
  )
}

export interface Verdict {
  detected: Mutant[]
  /** Not detected, and on the list. */
  equivalent: Mutant[]
  /** Not detected and not on the list: what fails the run (survivors, mutants no test runs, runner errors). */
  undetected: Mutant[]
  /** Listed as equivalent, yet the tests detect them: the list is wrong about these. */
  listedButDetected: Mutant[]
  /** List entries that match no mutant of the files mutated in this run. */
  stale: EquivalentMutant[]
  /** Detected / (all judged), in percent, as Stryker counts it: equivalent mutants count as survivors. */
  score: number
  /** The same with the listed equivalents set aside. */
  scoreWithoutEquivalents: number
}

export function verdictOf(mutants: Mutant[], list: EquivalentMutant[]): Verdict {
  const judged = mutants.filter((mutant) => !NOT_JUDGED.has(mutant.status))
  const listed = (mutant: Mutant) => list.some((entry) => isListed(mutant, entry))
  const detected = judged.filter((mutant) => DETECTED.has(mutant.status))
  const notDetected = judged.filter((mutant) => !DETECTED.has(mutant.status))
  const equivalent = notDetected.filter(listed)
  const mutatedFiles = new Set(mutants.map((mutant) => mutant.file))
  return {
    detected,
    equivalent,
    undetected: notDetected.filter((mutant) => !listed(mutant)),
    listedButDetected: detected.filter(listed),
    stale: list.filter((entry) => mutatedFiles.has(entry.file) && !mutants.some((mutant) => isListed(mutant, entry))),
    score: percent(detected.length, judged.length),
    scoreWithoutEquivalents: percent(detected.length, judged.length - equivalent.length),
  }
}

const percent = (part: number, whole: number) => (whole === 0 ? 100 : (100 * part) / whole)

/** "solutions/04-accept/accept.ts:25:17 StringLiteral: 'error' -> """, the mutant as a reader finds it. */
export function describeMutant(mutant: Mutant): string {
  const original = mutant.original.length > 60 ? `${mutant.original.slice(0, 57)}...` : mutant.original
  return `${mutant.file}:${mutant.line}:${mutant.column} ${mutant.mutator}: ${original} -> ${mutant.replacement}`
}

/** The entry that would list `mutant` as equivalent, for the reader to complete with the reason. */
export function entryFor(mutant: Mutant): EquivalentMutant {
  const { file, mutator, lineText: line, original, replacement } = mutant
  return { file, mutator, line, original, replacement, reason: 'TODO: why no test can tell this mutant from the original' }
}
