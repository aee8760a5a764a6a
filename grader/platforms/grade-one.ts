/**
 * One submission, graded inside a grading platform's container (Gradescope, PrairieLearn): the
 * platform starts a fresh container per submission, so there is no class to share a host with, and
 * the container is the outer sandbox (bubblewrap, where it works there, an inner one). Inside it the kata process design still holds: the student's
 * code runs in kata processes of their own, as throwaway users, judged from the test process by what
 * the kernel and the wire show. The reference solutions are calibrated first, in the same container,
 * so a test this container cannot make is skipped for the student too, never failed.
 */
import { rm, writeFile } from 'node:fs/promises'
import { katasDir, solutionsDir } from '../../harness/paths.ts'
import { GraderError, type Calibration } from '../calibration.ts'
import { calibratedContext } from '../grade.ts'
import { gradeSubmission, type SubmissionGrade } from '../grade-submission.ts'
import { lockToRoot, ProcessRunner, probeHost, type HostSupport } from '../process-runner.ts'

export interface GradeOneOptions {
  /** The student's files: a clone of the repository or the kata folders alone (submissions.ts). */
  submissionDir: string
  /** The kata tests: katas/, or an instructor's own folder laid out like it (hidden tests). */
  testsRoot?: string
  /** The reference solutions, laid out like solutions/ (a platform that keeps them out of a public image); solutions/ by default. */
  referenceDir?: string
  /** Kata folders to grade (a platform question per kata); every kata in testsRoot when left out. */
  katas?: string[]
  timeoutSeconds?: number
  memoryMiB?: number
  /** Hears what this container cannot give a run (the platform's own container stands in for it). */
  warn?: (line: string) => void
  /** What this container gives a run: probed unless given (a test poses as a container without bubblewrap). */
  host?: HostSupport
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
  const timeoutSeconds = options.timeoutSeconds ?? PLATFORM_DEFAULTS.timeoutSeconds
  const memoryMiB = options.memoryMiB ?? PLATFORM_DEFAULTS.memoryMiB
  const host = options.host ?? (await probeHost())
  if (!host.asRoot) {
    host.groups.close()
    throw new GraderError(
      "grading inside a platform's container needs root there, to run the student's code as a throwaway user that can read neither the tests nor the solutions",
    )
  }
  // In a sandbox the student's code never sees solutions/ (bubblewrap.ts); outside one, it sees the container's
  // files. An instructor's own tests are the runner's to lock (process-runner.ts).
  const referenceDir = options.referenceDir ?? solutionsDir
  // The student's code (another user) must not read the reference solutions.
  const unlock = host.sandboxProblem ? await lockToRoot(referenceDir) : async () => {}
  const warn = options.warn ?? ((line: string) => console.error(line))
  const runner = await ProcessRunner.open({ testsRoot, memoryMiB, acceptWeakIsolation: true }, (line) => warn(`inside the platform's container: ${line}`), host)
  try {
    const context = await calibratedContext({ runner, testsRoot, referenceDir, timeoutSeconds, memoryMiB, katas: options.katas })
    const grade = await gradeSubmission({ name: 'submission', folder: options.submissionDir }, context)
    return { grade, calibration: context.calibration, isolation: runner.description }
  } finally {
    await runner.close()
    await unlock()
  }
}

/**
 * Writes a platform's results file afresh: whatever is at `path` (a file or link the student's code
 * planted, were the folder within its reach) is removed, never written through.
 */
export async function writeResultsFile(path: string, results: object): Promise<void> {
  await rm(path, { force: true, recursive: true })
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`, { flag: 'wx', mode: 0o644 })
}
