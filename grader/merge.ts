/**
 * npm run grade -- merge <dir>... --out <dir>: combines the outputs of shards (graded on several
 * machines with --shard I/N) into one set of files, the same as a single run would have written.
 */
import { GraderError } from './calibration.ts'
import type { SubmissionGrade } from './grade-submission.ts'
import { readRun, writeClassFiles, writeSubmission } from './outputs/write.ts'

export async function mergeRuns(inputDirs: string[], outDir: string): Promise<SubmissionGrade[]> {
  if (inputDirs.length === 0) throw new GraderError('merge needs at least one graded folder')
  const runs = await Promise.all(inputDirs.map(async (dir) => ({ dir, ...(await readRun(dir)) })))
  const [first] = runs
  for (const run of runs) {
    if (JSON.stringify(run.info.calibration) !== JSON.stringify(first!.info.calibration)) {
      throw new GraderError(`${run.dir} was graded with other tests, points or skipped checks than ${first!.dir}; grade every shard alike`)
    }
  }
  const grades: SubmissionGrade[] = []
  const seen = new Map<string, string>()
  for (const { dir, grades: shardGrades } of runs) {
    for (const grade of shardGrades) {
      const other = seen.get(grade.submission)
      if (other) throw new GraderError(`"${grade.submission}" was graded in both ${other} and ${dir}`)
      seen.set(grade.submission, dir)
      grades.push(grade)
    }
  }
  for (const grade of grades) await writeSubmission(outDir, grade)
  const isolation = [...new Set(runs.flatMap((run) => run.info.isolation))]
  await writeClassFiles(outDir, isolation, first!.info.calibration, grades)
  return grades
}

