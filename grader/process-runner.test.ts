import { afterAll, expect, test } from 'vitest'
import { katasDir } from '../harness/paths.ts'
import { GraderError } from './calibration.ts'
import { ProcessRunner, type HostSupport } from './process-runner.ts'
import { RunGroups } from './sandbox/cgroups.ts'

const groups = RunGroups.open()
afterAll(() => groups.close())

const options = { testsRoot: katasDir, memoryMiB: 2048 }
const ownNode = { path: process.execPath, version: process.versions.node }
/** A host like a laptop: no root, no bubblewrap; the cgroups are whatever this machine has. */
const weakHost: HostSupport = { asRoot: false, sandboxProblem: 'bubblewrap (bwrap) is not installed (ENOENT)', groups, node: ownNode }

test('where runs cannot be isolated fully, process isolation refuses untrusted work and says what is missing', async () => {
  const heard: string[] = []
  const opening = ProcessRunner.open(options, (line) => heard.push(line), weakHost)
  await expect(opening).rejects.toThrow(GraderError)
  await expect(opening).rejects.toThrow(/cannot hold untrusted code on this host:\n {2}- no sandbox: bubblewrap \(bwrap\) is not installed/)
  await expect(opening).rejects.toThrow("student code would run as the grader's own user")
  await expect(opening).rejects.toThrow('--isolation docker')
  expect(heard).toEqual([])
})

test('--accept-weak-isolation grades anyway, after saying once what it grades without', async () => {
  const heard: string[] = []
  const runner = await ProcessRunner.open({ ...options, acceptWeakIsolation: true }, (line) => heard.push(line), weakHost)
  expect(heard).toHaveLength(1)
  expect(heard[0]).toMatch(/^--accept-weak-isolation: grading without these protections:\n {2}- no sandbox/)
  expect(runner.description).toBe('process (own process group only)')
})

test('a host that gives everything opens without a word', async (context) => {
  if (groups.unavailable.length > 0) return context.skip(`this machine's cgroups cannot be used: ${groups.unavailable.join('; ')}`)
  const heard: string[] = []
  const runner = await ProcessRunner.open(options, (line) => heard.push(line), { asRoot: true, sandboxProblem: undefined, groups, node: ownNode })
  expect(heard).toEqual([])
  expect(runner.description).toMatch(/^process \(bubblewrap sandbox: .*student code as throwaway users; cgroup v\d/)
})

test('runs on another Node than the grader\'s: the description says which, and why', async () => {
  const olderNode = { path: process.execPath, version: '24.21.0', instead: "Node 20.20.2 ignores listen()'s reusePort" }
  const runner = await ProcessRunner.open({ ...options, acceptWeakIsolation: true }, () => {}, { ...weakHost, node: olderNode })
  expect(runner.description).toBe("process (own process group only; on Node 24.21.0, because Node 20.20.2 ignores listen()'s reusePort)")
})
