/** What the grader's end-to-end tests share: a Docker engine to grade with, and a class graded quietly. */
import { join } from 'node:path'
import { katasDir } from '../harness/paths.ts'
import { gradeAll, type GradeResult } from './grade.ts'
import { buildImage, DEFAULT_IMAGE } from './image.ts'
import type { Runner } from './run-request.ts'

/** Why docker isolation cannot be tested here, or undefined; builds the image when only it is missing. */
export async function dockerUnavailable(): Promise<string | undefined> {
  const { getContainerRuntimeClient, ImageName } = await import('testcontainers')
  const client = await getContainerRuntimeClient().catch((error: Error) => error)
  if (client instanceof Error) return `no Docker engine can be reached here (${client.message.split('\n')[0]}); .ci/run installs and starts one`
  if (!(await client.image.exists(ImageName.fromString(DEFAULT_IMAGE)))) await buildImage(DEFAULT_IMAGE, () => {})
  return undefined
}

/** Grades `work`/submissions into `work`/out with the kata tests, 2048 MiB a run, and no progress lines. */
export function gradeQuietly(work: string, runner: Runner, limits: { timeoutSeconds: number; concurrency: number }): Promise<GradeResult> {
  return gradeAll({
    submissionsDir: join(work, 'submissions'),
    outDir: join(work, 'out'),
    testsRoot: katasDir,
    runner,
    memoryMiB: 2048,
    progressStream: { write: () => true },
    ...limits,
  })
}
