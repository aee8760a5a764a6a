import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { katasDir } from '../harness/paths.ts'
import { GraderError } from './calibration.ts'
import { DEFAULT_IMAGE } from './image.ts'
import { DockerRunner } from './docker-runner.ts'
import { containersLeftBy, dockerUnavailable, gradeQuietly } from './e2e-support.ts'
import { expectOutputsToMatch } from './e2e-expectations.ts'
import { writeFixtureSubmissions } from './fixture-submissions.ts'

test('in docker isolation, every fixture submission gets exactly the points it earned, in every output format', async (context) => {
  const reason = await dockerUnavailable()
  if (reason) context.skip(reason)
  const work = await mkdtemp(join(tmpdir(), 'grader-docker-e2e-'))
  await writeFixtureSubmissions(join(work, 'submissions'))
  const runner = await DockerRunner.start({ image: DEFAULT_IMAGE, testsRoot: katasDir, defaultTestsRoot: katasDir, memoryMiB: 2048 })
  try {
    const { calibration } = await gradeQuietly(work, runner, { timeoutSeconds: 30, concurrency: 3 })
    await expectOutputsToMatch(join(work, 'out'), calibration)
  } finally {
    await runner.close()
  }
  expect(await containersLeftBy(runner), 'containers left behind').toEqual([])
})

test('a missing image is named, with how to build it, and nothing is pulled', async (context) => {
  const reason = await dockerUnavailable()
  if (reason) context.skip(reason)
  const start = DockerRunner.start({ image: 'socket-katas-no-such-image', testsRoot: katasDir, defaultTestsRoot: katasDir, memoryMiB: 512 })
  await expect(start).rejects.toThrow(GraderError)
  await expect(start).rejects.toThrow('the image socket-katas-no-such-image is not on this Docker host, and the grader never pulls; build it with npm run grade:image')
})
