/**
 * The Gradescope autograder end to end: the zip built by the real command (with an instructor's
 * --tests folder of two katas, one hidden test added), unzipped with its file modes into the layout
 * Gradescope documents (https://gradescope-autograders.readthedocs.io/en/latest/specs/#file-hierarchy)
 * under a temporary root, and run_autograder run there as Gradescope runs it, for a correct, a partial,
 * a broken and a hostile submission; each results.json checked field by field against the spec.
 * setup.sh needs the network (apt, the npm registry), which these tests do not have: for the runs, the
 * project's node_modules and the pinned Node stand in for what it installs; setup.sh itself runs in a
 * copy of its own, with apt-get and curl stood in for and npm offline (from this machine's npm cache).
 */
import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { kataFromFolder } from '../../../harness/katas.ts'
import { katasDir, projectRoot, solutionsDir, stubsDir } from '../../../harness/paths.ts'
import { normaliseTestName, parseTestDescriptions } from '../../../harness/reporting/lessons.ts'
import { writeFixtureSubmissions } from '../../fixture-submissions.ts'
import { probeKataFile } from '../../hostile-probes.ts'
import { sumPoints } from '../../manifest.ts'
import { pinnedNode } from '../../../tools/node-binary.ts'
import type { GradescopeResults, GradescopeTest } from '../../outputs/gradescope.ts'
import { GRADESCOPE_NODE, GRADESCOPE_NPM, sha512Of, tarballCache, tarballPath, tarballUrl } from './pinned-packages.ts'
import { ENTRY, NODE_IN_SOURCE } from './scripts.ts'

const KATAS = ['01-bind', '05-refused']
const KATA_POINTS = 10
/** In the hidden test's source and failure message only: it must never reach anything a student sees. */
const SECRET = 'INSTRUCTOR-SECRET-7f3a'
const HIDDEN_TEST = "the instructor's own check"
const HIDDEN_TEST_SOURCE = `
describe("${HIDDEN_TEST}", () => {
  test('listens on exactly the loopback address asked for, never the wildcard', async () => {
    const { server, port } = await bindOnAFreePort('127.0.0.1')
    expect(listeningStateOf(server.facts), '${SECRET}: the wildcard is not the address asked for').toBe(\`listening on \${endpoint('127.0.0.1', port)}\`)
  })
})
`
const RUN_MS = 240_000
const VISIBILITIES = ['hidden', 'after_due_date', 'after_published', 'visible']

let work: string
let root: string
/** The partial submission's results, which two tests read. */
let partial: GradescopeResults | undefined
const source = () => join(root, 'source')

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'socket-katas-gradescope-'))
  root = join(work, 'autograder')
  const tests = join(work, 'tests')
  for (const kata of KATAS) await cp(join(katasDir, kata), join(tests, kata), { recursive: true })
  await writeFile(join(tests, '01-bind', 'bind.test.ts'), (await readFile(join(tests, '01-bind', 'bind.test.ts'), 'utf8')) + HIDDEN_TEST_SOURCE)
  const zip = join(work, 'autograder.zip')
  await run('npm', ['run', 'grade:gradescope', '--', '--out', zip, '--tests', tests], { cwd: projectRoot })
  await mkdir(source(), { recursive: true })
  await run('unzip', ['-q', zip, '-d', source()])
  // What setup.sh would install, from this machine: the project's dependencies and the pinned Node.
  await symlink(join(projectRoot, 'node_modules'), join(source(), 'node_modules'))
  await mkdir(join(source(), '.tools'))
  await symlink(join(await pinnedNode(24), '..', '..'), join(source(), '.tools', 'node'))
  // Gradescope copies run_autograder out of the zip (their sample Dockerfile: autograder_samples/manual_docker).
  await cp(join(source(), 'run_autograder'), join(root, 'run_autograder'))
}, RUN_MS)

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('the autograder zip', () => {
  test('holds setup.sh and run_autograder at its root, executable, the project files grading needs, and never .git, node_modules or .cache', async () => {
    for (const script of ['setup.sh', 'run_autograder']) expect((await stat(join(source(), script))).mode & 0o777).toBe(0o755)
    const listing = await run('unzip', ['-Z1', join(work, 'autograder.zip')])
    const paths = listing.stdout.split('\n').filter(Boolean)
    expect(paths).toEqual(expect.arrayContaining(['package-lock.json', 'solutions/01-bind/bind.ts', 'tests/01-bind/bind.test.ts', ENTRY]))
    expect(paths.filter((path) => /^(\.git|node_modules|\.cache|\.tools)\//.test(path))).toEqual([])
  })

  test('is the same bytes when built again from the same files', async () => {
    const again = join(work, 'again.zip')
    await run('npm', ['run', 'grade:gradescope', '--', '--out', again, '--tests', join(work, 'tests')], { cwd: projectRoot })
    expect(Buffer.compare(await readFile(again), await readFile(join(work, 'autograder.zip')))).toBe(0)
  }, RUN_MS)
})

describe('run_autograder, as Gradescope runs it', () => {
  test('a correct submission (files uploaded on their own) scores every point', async () => {
    const results = await gradeSubmission(async (submission) => {
      for (const kata of KATAS) await cp(solutionFile(kata), join(submission, kataFromFolder(kata)!.implementationFile))
    })
    expect(results.score).toBe(KATAS.length * KATA_POINTS)
    expect(results.tests.filter((test) => test.status !== 'passed')).toEqual([])
    expect(hiddenTest(results).output).toMatch(/passed/i)
  }, RUN_MS)

  test("a partial one (kata folders) scores what it earns; the hidden test is failed without a word of the instructor's", async () => {
    const results = (partial = await gradeSubmission(async (submission) => {
      await writeIn(submission, '01-bind/bind.ts', await readFile(join(projectRoot, 'fixtures', 'wrong', '01-bind', 'ignores-host.ts'), 'utf8'))
      await writeIn(submission, '05-refused/refused.ts', await readFile(solutionFile('05-refused'), 'utf8'))
    }))
    expect(results.score).toBeGreaterThan(KATA_POINTS)
    expect(results.score).toBeLessThan(KATAS.length * KATA_POINTS)
    expect(kataTests(results, '05-refused').every((test) => test.status === 'passed')).toBe(true)
    expect(hiddenTest(results).status).toBe('failed')
    expect(hiddenTest(results).output).toMatch(/failed/i)
    expect(JSON.stringify(results)).not.toContain(SECRET)
  }, RUN_MS)

  test("a partial one's failing visible test says what the kata's lesson says that test checks", async () => {
    const results = partial!
    const failing = kataTests(results, '01-bind').filter((test) => test.status === 'failed' && test !== hiddenTest(results))
    expect(failing.length).toBeGreaterThan(0)
    const descriptions = parseTestDescriptions(await readFile(join(katasDir, '01-bind', 'README.md'), 'utf8'))
    for (const test of failing) {
      const description = descriptions.get(normaliseTestName(test.name.split(' > ').at(-1)!))
      expect(description, `the lesson describes "${test.name}"`).toBeDefined()
      expect(test.output.replace(/\s+/g, ' ')).toContain(description)
    }
  })

  test('a broken one (a clone: a kata that does not compile, a kata file missing) scores 0, each test saying why', async () => {
    const results = await gradeSubmission(async (submission) => {
      await writeIn(submission, 'katas/01-bind/bind.ts', "import net from 'node:net'\nexport function bind(host: string, port: number {\n")
    })
    expect(results.score).toBe(0)
    for (const test of kataTests(results, '01-bind').filter((test) => test !== hiddenTest(results))) expect(test.output).toMatch(/does not compile/)
    for (const test of kataTests(results, '05-refused')) expect(test.output).toMatch(/missing/)
  }, RUN_MS)

  test('a hostile one reaches neither the solutions, nor the hidden tests, nor the results, and gains nothing', async () => {
    const results = await gradeSubmission(async (submission, resultsDir) => {
      // A results file already there, forged, and a results folder anyone may write to: neither survives.
      await writeFile(join(resultsDir, 'results.json'), '{"score": 999}\n', { mode: 0o644 })
      await writeHostile(submission, resultsDir)
    })
    expect((await stat(join(root, 'results'))).mode & 0o777).toBe(0o755)
    expect(results.score).toBe(0)
    const outputs = results.tests.map((test) => test.output)
    expect(outputs.filter((output) => output.includes('reached:'))).toEqual([])
    expect(outputs.some((output) => output.includes('reached nothing'))).toBe(true)
    expect(JSON.stringify(results)).not.toContain(SECRET)
  }, RUN_MS)

  test('when the reference solutions fail in this container, a valid results file says the autograder failed, not the student', async () => {
    const broken = join(source(), 'tests-reference-fails')
    await cp(join(source(), 'tests', '05-refused'), join(broken, '05-refused'), { recursive: true })
    const testFile = join(broken, '05-refused', 'refused.test.ts')
    await writeFile(testFile, `${await readFile(testFile, 'utf8')}\ntest('fails for everyone', () => { expect('${SECRET}').toBe('') })\n`)
    const results = await gradeSubmission(
      async (submission) => void (await cp(solutionFile('05-refused'), join(submission, 'refused.ts'))),
      ['--import', 'tsx', ENTRY, '--root', root, '--tests', 'tests-reference-fails'],
    )
    expect(results.score).toBe(0)
    expect(results.output).toMatch(/autograder failed/)
    expect(results.output).not.toContain(SECRET)
    expect(results.tests).toHaveLength(1)
    expect(results.tests[0]!.visibility).toBe('hidden')
    expect(results.tests[0]!.output).toMatch(/reference solution of 05-refused/)
  }, RUN_MS)
})

describe('setup.sh', () => {
  test('is valid bash, and so is run_autograder', async () => {
    for (const script of ['setup.sh', 'run_autograder']) await run('bash', ['-n', join(source(), script)])
  })

  test('pins the sha512 of the very tarballs npm fetched and checked against the registry', async () => {
    const setup = await readFile(join(source(), 'setup.sh'), 'utf8')
    for (const pkg of [GRADESCOPE_NODE, GRADESCOPE_NPM]) {
      const { sha512, integrity } = await sha512Of(tarballPath(pkg))
      expect(setup).toContain(`install_package ${pkg.name} ${pkg.version} ${sha512} `)
      expect(setup).toContain(`# ${pkg.name}@${pkg.version}: ${integrity}\n`)
    }
  })

  test('installs the pinned Node and npm and the locked dependencies, and its smoke run grades the reference (apt-get and curl stood in for, npm offline)', async () => {
    const setupRoot = join(work, 'setup', 'autograder')
    await mkdir(join(setupRoot, 'source'), { recursive: true })
    await run('unzip', ['-q', join(work, 'autograder.zip'), '-d', join(setupRoot, 'source')])
    const stand = await standIns(join(work, 'setup'))
    const ran = await run('bash', [join(setupRoot, 'source', 'setup.sh')], { cwd: setupRoot, env: { ...process.env, ...stand.env, npm_config_offline: 'true' } })
    expect(await readFile(stand.log, 'utf8')).toBe(
      'apt-get install -y --no-install-recommends ca-certificates curl iproute2 util-linux\n' +
        [GRADESCOPE_NODE, GRADESCOPE_NPM].map((pkg) => `curl ${tarballUrl(pkg)}\n`).join(''),
    )
    expect(ran.stdout).toContain(`v${GRADESCOPE_NODE.version}\n`)
    expect(ran.stdout).toMatch(/This image grades: the reference solutions pass every test that counts here \(20 points\)/)
  }, RUN_MS)

  test('accepts the pinned tarball and refuses one changed by a single byte', async () => {
    const tarball = tarballPath(GRADESCOPE_NPM)
    const tampered = join(work, 'tampered.tgz')
    const bytes = await readFile(tarball)
    const middle = bytes.length >> 1
    bytes[middle] = bytes[middle]! ^ 1
    await writeFile(tampered, bytes)
    const { sha512 } = await sha512Of(tarball)
    const verify = (file: string) =>
      run('bash', ['-c', `source <(sed -n '/^verify_sha512()/,/^}/p' "$0") && verify_sha512 "$1" "$2"`, join(source(), 'setup.sh'), file, sha512]).then(
        () => 'accepted',
        () => 'refused',
      )
    expect(await verify(tarball)).toBe('accepted')
    expect(await verify(tampered)).toBe('refused')
  })
})

/**
 * A fresh submission and results folder, laid out by `layOut`, then run_autograder run from the
 * root (or the Node entry with `nodeArgs`): it must exit 0 having written a results file that meets the spec.
 */
async function gradeSubmission(
  layOut: (submission: string, resultsDir: string) => Promise<void>,
  nodeArgs?: string[],
): Promise<GradescopeResults> {
  const [submission, resultsDir] = [join(root, 'submission'), join(root, 'results')]
  await rm(submission, { recursive: true, force: true })
  await rm(resultsDir, { recursive: true, force: true })
  await mkdir(submission)
  await mkdir(resultsDir, { mode: 0o777 })
  await layOut(submission, resultsDir)
  const env = { ...process.env, AUTOGRADER_ROOT: root }
  const ran = nodeArgs
    ? await run(join(source(), NODE_IN_SOURCE), nodeArgs, { cwd: source(), env })
    : await run(join(root, 'run_autograder'), [], { cwd: root, env })
  expect(ran.stdout).toMatch(/points, in|could not grade/)
  const results = JSON.parse(await readFile(join(resultsDir, 'results.json'), 'utf8')) as GradescopeResults
  checkAgainstSpec(results)
  return results
}

/** results.json as https://gradescope-autograders.readthedocs.io/en/latest/specs/#output-format describes it. */
function checkAgainstSpec(results: GradescopeResults): void {
  expect(Object.keys(results).sort()).toEqual(['execution_time', 'output', 'score', 'stdout_visibility', 'tests', 'visibility'])
  expect(typeof results.score).toBe('number')
  expect(results.score).toBeGreaterThanOrEqual(0)
  expect(Number.isInteger(results.execution_time) && results.execution_time > 0).toBe(true)
  expect(typeof results.output).toBe('string')
  expect(VISIBILITIES).toContain(results.visibility)
  // The autograder's stdout is the grader's log: for the instructor only.
  expect(results.stdout_visibility).toBe('hidden')
  const numbers = new Set<string>()
  for (const test of results.tests) {
    expect(typeof test.name).toBe('string')
    expect(test.name.length).toBeGreaterThan(0)
    expect(test.number).toMatch(/^\d+(\.\d+)?$/)
    expect(numbers.has(test.number), `test number ${test.number} is unique`).toBe(false)
    numbers.add(test.number)
    expect(['passed', 'failed']).toContain(test.status)
    expect(typeof test.output).toBe('string')
    expect(test.tags.every((tag) => typeof tag === 'string')).toBe(true)
    expect(VISIBILITIES).toContain(test.visibility)
    if (test.max_score === undefined) continue
    expect(Math.round(test.score! * 100)).toBe(test.score! * 100)
    expect(test.score).toBeGreaterThanOrEqual(0)
    expect(test.score).toBeLessThanOrEqual(test.max_score)
    expect(test.status).toBe(test.score === test.max_score ? 'passed' : 'failed')
  }
  const scored = results.tests.filter((test) => test.max_score !== undefined)
  if (scored.length === 0) return
  expect(results.score).toBe(sumPoints(scored.map((test) => test.score!)))
  expect(sumPoints(scored.map((test) => test.max_score!))).toBe(KATAS.length * KATA_POINTS)
  expect(new Set(scored.map((test) => test.tags[0]))).toEqual(new Set(KATAS))
}

function kataTests(results: GradescopeResults, kata: string): GradescopeTest[] {
  return results.tests.filter((test) => test.tags.includes(kata))
}

function hiddenTest(results: GradescopeResults): GradescopeTest {
  const found = results.tests.filter((test) => test.name.includes(HIDDEN_TEST))
  expect(found).toHaveLength(1)
  return found[0]!
}

function solutionFile(kata: string): string {
  return join(solutionsDir, kata, kataFromFolder(kata)!.implementationFile)
}

async function writeIn(folder: string, path: string, text: string): Promise<void> {
  await mkdir(join(folder, path, '..'), { recursive: true })
  await writeFile(join(folder, path), text)
}

/**
 * 01-bind copies the reference (the fixture's probe, aimed at this autograder's source); 05-refused
 * reads the hidden tests as if they were classmates' files, and tries to write any results file.
 */
async function writeHostile(submission: string, resultsDir: string): Promise<void> {
  const staging = join(work, 'hostile')
  await rm(staging, { recursive: true, force: true })
  await writeFixtureSubmissions(staging, ['copies-the-reference'], { project: source(), submissions: submission, outputs: root })
  await cp(join(staging, 'copies-the-reference', '01-bind'), join(submission, '01-bind'), { recursive: true })
  const stub = await readFile(join(stubsDir, '05-refused', 'refused.ts'), 'utf8')
  const failing = stub.replace(/throw new Error\(\s*'Not implemented yet[\s\S]*?\)\n/g, 'throw new Error(found())\n')
  const probe = probeKataFile("classmates'-files-and-outputs", { project: source(), submissions: join(source(), 'tests'), outputs: resultsDir }, failing)
  await writeIn(submission, '05-refused/refused.ts', probe)
}

/**
 * apt-get and curl for setup.sh where there is no network: apt-get only logs what it was asked to
 * install; curl logs the URL and serves the registry's tarball from the build's cache (npm-checked).
 */
async function standIns(dir: string): Promise<{ env: NodeJS.ProcessEnv; log: string }> {
  const bin = join(dir, 'bin')
  const log = join(dir, 'calls.log')
  await mkdir(bin, { recursive: true })
  await writeFile(join(bin, 'apt-get'), '#!/bin/sh\necho "apt-get $*" >> "$STAND_IN_LOG"\n', { mode: 0o755 })
  await writeFile(
    join(bin, 'curl'),
    '#!/bin/sh\nfor url; do :; done\nwhile [ $# -gt 0 ]; do [ "$1" = --output ] && out=$2; shift; done\n' +
      'echo "curl $url" >> "$STAND_IN_LOG"\ncp "$STAND_IN_TARBALLS/${url##*/}" "$out"\n',
    { mode: 0o755 },
  )
  await writeFile(log, '')
  return { env: { PATH: `${bin}:${process.env.PATH}`, STAND_IN_LOG: log, STAND_IN_TARBALLS: tarballCache }, log }
}

interface Ran {
  stdout: string
  stderr: string
}

/** Runs a command to its end (bounded), and fails with what it printed unless it exits 0. */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { ...options, timeout: RUN_MS - 10_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')} failed (${error.message}):\n${stdout}\n${stderr}`)) : resolve({ stdout, stderr }),
    )
  })
}
