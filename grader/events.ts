/**
 * What the grading reporter writes (one JSON object per line) and how the grader reads it back.
 *
 * Every line is signed with a key the reporter reads from a file and deletes before any kata code is
 * loaded. The code under test runs as another user, in a view of the filesystem without the events
 * file, so it cannot write there; the signature is what proves it. A line that does not verify is
 * dropped and the run marked as unsigned: a grader fault (a disk, a bug), for the grader to run again.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export type RunEvent =
  | { type: 'kata-start'; kata: string }
  | { type: 'test-start'; kata: string; name: string }
  | {
      type: 'test'
      kata: string
      /** The test's full name (describe blocks and title); `title` is its own, as the lesson names it. */
      name: string
      title?: string
      state: 'passed' | 'failed' | 'skipped'
      message?: string
      /** A failure explained as `npm test` explains it to the learner. */
      teaching?: string
      note?: string
      console?: string
    }
  | { type: 'kata-end'; kata: string; errors: string[] }
  | { type: 'run-end'; unhandledErrors: string[] }

export interface TestOutcome {
  state: 'passed' | 'failed' | 'skipped'
  /** The test's own title, as the lesson names it. */
  title?: string
  message?: string
  /** A failure explained as `npm test` explains it to the learner. */
  teaching?: string
  note?: string
  /** What the test printed, capped. */
  console?: string
}

/** One kata as one run saw it. `finished` is false when the run ended (killed, crashed) before the kata did. */
export interface KataRun {
  kata: string
  finished: boolean
  tests: Map<string, TestOutcome>
  /** Errors of the test file as a whole (it could not load, say). */
  errors: string[]
  /** The test that had started and not finished when the run ended. */
  running?: string
}

export interface RunRecord {
  katas: Map<string, KataRun>
  /** Lines were found that the reporter did not sign. */
  unsigned: boolean
  /** Whether Vitest got as far as the end of the run. */
  completed: boolean
  unhandledErrors: string[]
}

export function signLine(event: RunEvent, key: string): string {
  const json = JSON.stringify(event)
  return `${mac(json, key)} ${json}`
}

function mac(json: string, key: string): string {
  return createHmac('sha256', key).update(json).digest('hex')
}

/** The event on a signed line, or undefined if the line is cut short or not signed with `key`. */
function verifiedEvent(line: string, key: string): RunEvent | undefined {
  const space = line.indexOf(' ')
  const given = Buffer.from(line.slice(0, space), 'hex')
  const json = line.slice(space + 1)
  const expected = Buffer.from(mac(json, key), 'hex')
  if (space < 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  try {
    return JSON.parse(json) as RunEvent
  } catch {
    return undefined
  }
}

/** Reads a signed JSON-lines event file; a last line cut short by a kill is ignored. */
export function readEvents(text: string, key: string): RunRecord {
  const record: RunRecord = { katas: new Map(), unsigned: false, completed: false, unhandledErrors: [] }
  const kataRun = (kata: string) => {
    let run = record.katas.get(kata)
    if (!run) record.katas.set(kata, (run = { kata, finished: false, tests: new Map(), errors: [] }))
    return run
  }
  const lines = text.split('\n').filter((line) => line.trim())
  lines.forEach((line, i) => {
    const event = verifiedEvent(line, key)
    if (!event) {
      if (i < lines.length - 1) record.unsigned = true // only the very last line may be cut short by a kill
      return
    }
    switch (event.type) {
      case 'kata-start':
        kataRun(event.kata)
        break
      case 'test-start':
        kataRun(event.kata).running = event.name
        break
      case 'test': {
        const run = kataRun(event.kata)
        const { state, title, message, teaching, note, console } = event
        run.tests.set(event.name, { state, title, message, teaching, note, console })
        if (run.running === event.name) run.running = undefined
        break
      }
      case 'kata-end':
        Object.assign(kataRun(event.kata), { finished: true, errors: event.errors, running: undefined })
        break
      case 'run-end':
        record.completed = true
        record.unhandledErrors = event.unhandledErrors
        break
    }
  })
  return record
}
