/**
 * Writing a grading run to --out, and reading it back for merge. Every class-wide file is rendered
 * from the per-submission grades alone, so merging shards gives exactly what one run would.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Calibration } from '../calibration.ts'
import type { SubmissionGrade } from '../grade-submission.ts'
import { gradesCsv } from './csv.ts'
import { gradescopeResults } from './gradescope.ts'
import { htmlReport } from './html-report.ts'
import { junitXml } from './junit.ts'

export interface RunInfo {
  version: 1
  isolation: string[]
  calibration: Calibration
  /** The submissions this output holds, in order. */
  submissions: string[]
}

const RUN_FILE = 'grading-run.json'
export const CLASS_FILES = ['grades.csv', 'junit.xml', 'report.html', RUN_FILE]

/** A submission's own files, written as soon as it is graded. */
export async function writeSubmission(outDir: string, grade: SubmissionGrade): Promise<void> {
  const folder = join(outDir, grade.submission)
  await mkdir(folder, { recursive: true })
  await writeWhole(join(folder, 'grading.json'), `${JSON.stringify(grade, null, 2)}\n`)
  await writeWhole(join(folder, 'results.json'), `${JSON.stringify(gradescopeResults(grade), null, 2)}\n`)
}

/**
 * The class-wide files, from the grades sorted by submission name. Written again after every
 * submission, so that a grader stopped midway (killed, out of power) leaves valid files for
 * everyone graded so far.
 */
export async function writeClassFiles(outDir: string, isolation: string[], calibration: Calibration, grades: SubmissionGrade[]): Promise<void> {
  const sorted = [...grades].sort((a, b) => (a.submission < b.submission ? -1 : a.submission > b.submission ? 1 : 0))
  const info: RunInfo = { version: 1, isolation, calibration, submissions: sorted.map((grade) => grade.submission) }
  await mkdir(outDir, { recursive: true })
  await writeWhole(join(outDir, 'grades.csv'), gradesCsv(calibration, sorted))
  await writeWhole(join(outDir, 'junit.xml'), junitXml(sorted))
  await writeWhole(join(outDir, 'report.html'), htmlReport(calibration, sorted, isolation))
  await writeWhole(join(outDir, RUN_FILE), `${JSON.stringify(info, null, 2)}\n`)
}

/** Writes beside the file, then renames over it: a reader (or a kill) never meets half a file. */
async function writeWhole(path: string, text: string): Promise<void> {
  const partial = `${path}.partial`
  await writeFile(partial, text)
  await rename(partial, path)
}

/** A finished output folder: its run information and every submission's grade. */
export async function readRun(outDir: string): Promise<{ info: RunInfo; grades: SubmissionGrade[] }> {
  const info = JSON.parse(await readFile(join(outDir, RUN_FILE), 'utf8')) as RunInfo
  const grades = await Promise.all(
    info.submissions.map(async (name) => JSON.parse(await readFile(join(outDir, name, 'grading.json'), 'utf8')) as SubmissionGrade),
  )
  return { info, grades }
}
