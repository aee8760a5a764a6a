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

/** The containers a docker runner left, in any state (one created but never started included): none, once it is closed. */
export async function containersLeftBy(runner: { label: string }): Promise<{ Id: string; State: string }[]> {
  const { getContainerRuntimeClient } = await import('testcontainers')
  const client = await getContainerRuntimeClient()
  const left = await client.container.dockerode.listContainers({ all: true, filters: { label: [runner.label] } })
  return left.map(({ Id, State }) => ({ Id, State }))
}
