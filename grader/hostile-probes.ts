/**
 * Kata code a hostile student could hand in, as probes: each tries one kind of attack on the grader
 * as it is really made (reading the reference solutions, an instructor's hidden tests, a classmate's
 * files, the instructor's environment; writing the grader's own files, a classmate's results, another run's events file),
 * and its kata function then fails with what it reached: "reached nothing" is the only answer that
 * means the grader held. Probes test write access by opening a file for writing without writing
 * anything, so a grader that does not hold is told so without being damaged.
 */

/** Where the attacker looks: the paths of the class being graded, known to the grading test. */
export interface Targets {
  /** The project the grader runs from. */
  project: string
  /** The folder of submissions. */
  submissions: string
  /** A folder the grader's outputs go under. */
  outputs: string
  /** An instructor's own tests (--tests), if the class is graded with them. */
  tests?: string
}

/** Helpers every probe shares, in the kata file's own words (TypeScript, Node built-ins only). */
const PROBE_LIBRARY = `
import * as fs from 'node:fs'
import { join } from 'node:path'
const reached: string[] = []
const files = (root: string, depth = 4): string[] => {
  try {
    return fs.readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
      const path = join(root, entry.name)
      return entry.isDirectory() && depth > 0 ? files(path, depth - 1) : entry.isFile() ? [path] : []
    })
  } catch { return [] }
}
const canRead = (path: string) => { try { fs.readFileSync(path); reached.push('read ' + path); return true } catch { return false } }
const canWrite = (path: string) => { try { fs.closeSync(fs.openSync(path, 'r+')); reached.push('write ' + path); return true } catch { return false } }
const found = () => (reached.length === 0 ? 'reached nothing' : 'reached: ' + reached.slice(0, 5).join(', '))
`

/** What each probe tries, by the kind of attack it stands for. */
const PROBES = {
  'copy-the-reference': (t: Targets) => `
for (const path of files(${JSON.stringify(`${t.project}/solutions`)})) canRead(path)
for (const path of files('/grader/solutions')) canRead(path)
for (const path of [...files('/grade/tests'), ...files('/autograder/source/solutions')]) canRead(path)
for (const path of files(${JSON.stringify(`${t.project}/.git`)}, 2).slice(0, 50)) canRead(path)
canRead(join(process.cwd(), 'solutions/01-bind/bind.ts'))
`,
  "classmates'-files-and-outputs": (t: Targets) => `
for (const path of files(${JSON.stringify(t.submissions)})) if (path.endsWith('.ts')) canRead(path)
for (const path of files(${JSON.stringify(t.outputs)})) if (/(results|grading)\\.json$|grades\\.csv$/.test(path)) canWrite(path)
for (const path of files('/tmp', 2)) if (/events\\.(jsonl|key)$/.test(path)) canWrite(path) || canRead(path)
for (const pid of fs.readdirSync('/proc').filter((name) => /^\\d+$/.test(name))) if (Number(pid) !== process.pid) canRead('/proc/' + pid + '/environ')
`,
  backdoor: (t: Targets) => `
for (const relative of ['grader/reporter.ts', 'grader/events.ts', 'harness/kata-process/kata-process.ts', 'vitest.config.ts', 'package.json', 'katas/01-bind/bind.test.ts', 'node_modules/vitest/package.json']) {
  canWrite(join(${JSON.stringify(t.project)}, relative))
  canWrite(join('/grader', relative))
}
for (const path of ['/var/run/docker.sock', '/run/docker.sock']) { try { fs.statSync(path); reached.push('see ' + path) } catch {} }
`,
  'hidden-tests': (t: Targets) => `
for (const root of [${JSON.stringify(t.tests ?? '/tests')}, '/tests', '/autograder/source/tests', '/grade/tests']) for (const path of files(root)) canRead(path)
for (const path of files(${JSON.stringify(`${t.project}/solutions`)})) canRead(path)
`,
} satisfies Record<string, (targets: Targets) => string>

export type ProbeKind = keyof typeof PROBES

/** The whole kata file for `kind`: the probe runs as the file loads; `functionSource` then throws what it reached. */
export function probeKataFile(kind: ProbeKind, targets: Targets, functionSource: string): string {
  return `${PROBE_LIBRARY}${PROBES[kind](targets)}\n${functionSource}`
}
