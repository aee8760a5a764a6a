/**
 * One submission, graded inside a grading platform's container (Gradescope, PrairieLearn): the
 * platform starts a fresh container per submission, so there is no class to share a host with, and
 * the container is the outer sandbox. Inside it the kata process design still holds: the student's
 * code runs in kata processes of their own, as throwaway users, judged from the test process by what
 * the kernel and the wire show. The reference solutions are calibrated first, in the same container,
 * so a test this container cannot make is skipped for the student too, never failed.
 */
import { chmod } from 'node:fs/promises'
import { katasDir, solutionsDir } from '../../harness/paths.ts'
import { GraderError, type Calibration } from '../calibration.ts'
import { calibratedContext } from '../grade.ts'
import { gradeSubmission, type SubmissionGrade } from '../grade-submission.ts'
import { ProcessRunner, probeHost } from '../process-runner.ts'

export interface GradeOneOptions {
  /** The student's files: a clone of the repository or the kata folders alone (submissions.ts). */
  submissionDir: string
  /** The kata tests: katas/, or an instructor's own folder laid out like it (hidden tests). */
  testsRoot?: string
  /** Kata folders to grade (a platform question per kata); every kata in testsRoot when left out. */
  katas?: string[]
  timeoutSeconds?: number
  memoryMiB?: number
  /** Hears what this container cannot give a run (the platform's own container stands in for it). */
  warn?: (line: string) => void
}

export interface GradedOne {
  grade: SubmissionGrade
  calibration: Calibration
  /** How the runs were isolated, for the log. */
  isolation: string
}

export const PLATFORM_DEFAULTS = { timeoutSeconds: 60, memoryMiB: 2048 }

export async function gradeOne(options: GradeOneOptions): Promise<GradedOne> {
  const testsRoot = options.testsRoot ?? katasDir
  const { timeoutSeconds, memoryMiB } = { ...PLATFORM_DEFAULTS, ...definedOnly(options) }
  const host = await probeHost()
  if (!host.asRoot) {
    host.groups.close()
    throw new GraderError(
      "grading inside a platform's container needs root there, to run the student's code as a throwaway user that can read neither the tests nor the solutions",
    )
  }
  await lockAwayFromStudentCode([solutionsDir, ...(testsRoot === katasDir ? [] : [testsRoot])])
  const warn = options.warn ?? ((line: string) => console.error(line))
  const runner = await ProcessRunner.open({ testsRoot, memoryMiB, acceptWeakIsolation: true }, (line) => warn(`inside the platform's container: ${line}`), host)
  try {
    const context = await calibratedContext({ runner, testsRoot, timeoutSeconds, memoryMiB, katas: options.katas })
    const grade = await gradeSubmission({ name: 'submission', folder: options.submissionDir }, context)
    return { grade, calibration: context.calibration, isolation: runner.description }
  } finally {
    await runner.close()
  }
}

/**
 * Root's alone: outside a bubblewrap sandbox the student's code (another user) sees the container's
 * files, and must not read the reference solutions or an instructor's hidden tests.
 */
async function lockAwayFromStudentCode(folders: string[]): Promise<void> {
  for (const folder of folders) await chmod(folder, 0o700)
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
