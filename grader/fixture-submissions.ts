/**
 * Submissions a class could really hand in, built on demand in a temporary folder: from the reference
 * solutions, the stubs, the wrong implementations in fixtures/wrong, and a few hostile variants.
 * The grader's end-to-end tests and its benchmark grade these.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { kataFromFolder, listKatas } from '../harness/katas.ts'
import { katasDir, projectRoot, solutionsDir, stubsDir } from '../harness/paths.ts'
import { probeKataFile, type ProbeKind, type Targets } from './hostile-probes.ts'

const katas = listKatas(katasDir)

type KataSource =
  | { from: 'solution'; append?: string }
  | { from: 'stub'; append?: string }
  | { from: 'wrong'; name: string }
  | { from: 'text'; text: string }
  | { from: 'probe'; kind: ProbeKind }

interface FixtureSubmission {
  /** Kata file sources by kata folder; a kata left out is missing from the submission. */
  katas: Record<string, KataSource>
  /** Where the kata files go: directly (NN-slug/) or in a clone of the repository (katas/NN-slug/). */
  layout?: 'flat' | 'clone'
  /** Other files the student put in the folder, by relative path. */
  extraFiles?: Record<string, string>
  /** Symbolic links the student put in the folder, by relative path: their targets, PROJECT/ standing for the project. */
  links?: Record<string, string>
  /** The whole submission is a symbolic link to this (a path relative to the submissions folder). */
  linkTo?: string
}

const solution: KataSource = { from: 'solution' }
const everyKata = (source: KataSource) => Object.fromEntries(katas.map((kata) => [kata.folder, source]))
const allCorrectBut = (overrides: Record<string, KataSource>) => ({ ...everyKata(solution), ...overrides })

/** A kata's stub with its body replaced: still exports the contract, so only behaviour differs. */
const stubWithBody = (body: string): KataSource => ({ from: 'text', text: body })

/**
 * Appended to each untouched stub: the ways kata code reached the test framework when it ran in the
 * Vitest worker (its globals, its modules through getBuiltinModule, createRequire or node:vm, the
 * worker's message port), to pass every test. In a kata process of its own, none of them reaches it.
 */
const REACH_THE_FRAMEWORK = `
const reach = globalThis as any
const builtin = (name: string) => (process as any).getBuiltinModule?.(name)
const pass = () => ({ pass: true, message: () => '' })
for (const attempt of [
  () => builtin('node:module').createRequire(process.cwd() + '/')('vitest').expect.extend({ toBe: pass, toEqual: pass, toBeInstanceOf: pass }),
  () => builtin('node:module').createRequire('/work/main/')('vitest').expect.extend({ toBe: pass, toEqual: pass }),
  () => builtin('node:vm').runInThisContext('globalThis.__vitest_worker__').rpc.onTaskUpdate = () => {},
  () => builtin('node:worker_threads').parentPort.postMessage({ type: 'result', state: 'pass' }),
  () => { reach.__vitest_worker__.current.result = { state: 'pass' } },
  () => { reach[Symbol.for('$$jest-matchers-object')].matchers.toBe = pass },
]) {
  try { attempt() } catch {}
}
`

const FIXTURE_SUBMISSIONS: Record<string, FixtureSubmission> = {
  'all-correct': { katas: everyKata(solution) },
  empty: { katas: {} },
  partial: {
    katas: { '01-bind': solution, '02-port-zero': { from: 'wrong', name: 'random-port' }, '03-backlog': { from: 'stub' } },
  },
  'syntax-error': {
    katas: allCorrectBut({ '01-bind': stubWithBody("import net from 'node:net'\nexport function bind(host: string, port: number {\n") }),
  },
  'infinite-loop': {
    katas: allCorrectBut({
      '01-bind': stubWithBody("import net from 'node:net'\nexport function bind(host: string, port: number): Promise<net.Server> {\n  for (;;) {}\n}\n"),
    }),
  },
  'process-exit': {
    katas: allCorrectBut({
      '04-accept': stubWithBody(
        "import net from 'node:net'\nexport interface Accepted { socket: net.Socket; remoteAddress: string; remotePort: number }\n" +
          'export function acceptOne(server: net.Server): Promise<Accepted> {\n  process.exit(0)\n}\n',
      ),
    }),
  },
  'memory-hog': {
    katas: allCorrectBut({
      '05-refused': stubWithBody(
        "import net from 'node:net'\nexport type ConnectResult = { ok: true; socket: net.Socket } | { ok: false; code: string }\n" +
          'export function tryConnect(host: string, port: number, timeoutMs: number): Promise<ConnectResult> {\n' +
          '  const hoard: number[][] = []\n  for (;;) hoard.push(new Array(16 * 1024 * 1024).fill(7))\n}\n',
      ),
    }),
  },
  'prints-50-MB': {
    katas: allCorrectBut({
      '06-udp-fire-and-forget': {
        from: 'solution',
        append: "\nconst line = 'x'.repeat(1023)\nfor (let i = 0; i < 50 * 1024; i++) console.log(line)\n",
      },
    }),
  },
  'replaced-tests-and-config': {
    layout: 'clone',
    katas: everyKata({ from: 'stub' }),
    extraFiles: {
      'katas/01-bind/bind.test.ts': "import { test } from 'vitest'\ntest('everything is fine', () => {})\n",
      'vitest.config.ts': "export default { test: { include: ['nothing'], passWithNoTests: true } }\n",
      'package.json': '{ "scripts": { "test": "true" } }\n',
    },
  },
  'imports-vitest': {
    katas: allCorrectBut({
      '01-bind': stubWithBody(
        "import net from 'node:net'\nimport { expect } from 'vitest'\nexport function bind(host: string, port: number): Promise<net.Server> {\n" +
          "  expect.extend({})\n  return new Promise((resolve) => { const s = net.createServer(); s.listen(port, host, () => resolve(s)) })\n}\n",
      ),
    }),
  },
  "Zoë O'Brien (late), #2": { katas: everyKata(solution) },
  'nested-repo': {
    layout: 'clone',
    katas: { ...everyKata(solution), '04-accept': { from: 'wrong', name: 'closes-server' } },
    extraFiles: {
      'node_modules/vitest/package.json': '{ "name": "vitest", "version": "0.0.0-fake", "main": "index.js" }\n',
      'node_modules/vitest/index.js': "throw new Error('a student node_modules must never be used')\n",
      '.git/HEAD': 'ref: refs/heads/main\n',
      'README.md': '# my katas\n',
    },
  },
  'forges-results': {
    katas: allCorrectBut({
      '01-bind': stubWithBody(
        "import net from 'node:net'\nimport { appendFileSync, readFileSync } from 'node:fs'\n" +
          'export function bind(host: string, port: number): Promise<net.Server> {\n' +
          "  const fake = { type: 'test', kata: '01-bind', name: 'anything', state: 'passed' }\n" +
          '  // The events file is named in the test process\'s environment: look for it there, and write.\n' +
          "  const environ = (pid: number) => { try { return readFileSync(`/proc/${pid}/environ`, 'utf8') } catch { return '' } }\n" +
          "  const file = /KATA_EVENTS_FILE=([^\\0]+)/.exec(environ(process.ppid) + environ(1))?.[1] ?? process.env.KATA_EVENTS_FILE ?? '/dev/null'\n" +
          "  try { appendFileSync(file, `${JSON.stringify(fake)}\\n`) } catch {}\n" +
          "  return Promise.reject(new Error('no server'))\n}\n",
      ),
    }),
  },
  'reaches-the-framework': { katas: everyKata({ from: 'stub', append: REACH_THE_FRAMEWORK }) },
  'copies-the-reference': { katas: allCorrectBut({ '01-bind': { from: 'probe', kind: 'copy-the-reference' } }) },
  'reads-classmates': { katas: allCorrectBut({ '02-port-zero': { from: 'probe', kind: "classmates'-files-and-outputs" } }) },
  'plants-a-backdoor': { katas: allCorrectBut({ '03-backlog': { from: 'probe', kind: 'backdoor' } }) },
  'links-to-the-reference': {
    katas: allCorrectBut({ '01-bind': { from: 'text', text: '' }, '02-port-zero': { from: 'text', text: '' } }),
    links: { '01-bind': 'PROJECT/solutions/01-bind', '02-port-zero/port-zero.ts': 'PROJECT/solutions/02-port-zero/port-zero.ts' },
  },
  'links-to-a-classmate': { katas: {}, links: { katas: '../nested-repo/katas' } },
  'a-link-to-a-classmate': { katas: {}, linkTo: 'all-correct' },
  // The shared first run: kata 01 passes and reaches for the test framework as it loads; the katas after it are stubs.
  'helps-a-later-kata': { katas: { ...everyKata({ from: 'stub' }), '01-bind': { from: 'solution', append: REACH_THE_FRAMEWORK } } },
  'spawns-children': {
    katas: allCorrectBut({
      '02-port-zero': stubWithBody(
        "import net from 'node:net'\nimport { spawn, spawnSync } from 'node:child_process'\n" +
          'export function listenOnAnyPort(host: string): Promise<{ server: net.Server; port: number }> {\n' +
          "  const forever = ['-e', 'setTimeout(() => {}, 613e3)']\n" +
          "  spawn(process.execPath, forever, { detached: true, stdio: 'ignore' }).unref()\n" +
          '  spawnSync(process.execPath, forever)\n  return new Promise(() => {})\n}\n',
      ),
    }),
  },
}

/**
 * Submissions for gradings with an instructor's own tests (--tests) only, so not among those a class
 * folder holds by default: kata 01's file reads what it can of the hidden tests as it loads.
 */
const WITH_HIDDEN_TESTS: Record<string, FixtureSubmission> = {
  'reads-hidden-tests': { katas: { '01-bind': { from: 'probe', kind: 'hidden-tests' } } },
}

async function sourceOf(kataFolder: string, source: KataSource, targets: Targets): Promise<string> {
  const kata = kataFromFolder(kataFolder)!
  switch (source.from) {
    case 'solution':
      return (await readFile(join(solutionsDir, kata.folder, kata.implementationFile), 'utf8')) + (source.append ?? '')
    case 'stub':
      return (await readFile(join(stubsDir, kata.folder, kata.implementationFile), 'utf8')) + (source.append ?? '')
    case 'wrong':
      return readFile(join(projectRoot, 'fixtures', 'wrong', kata.folder, `${source.name}.ts`), 'utf8')
    case 'text':
      return source.text
    case 'probe':
      return probeKataFile(source.kind, targets, failingWithWhatItReached(await sourceOf(kataFolder, { from: 'stub' }, targets)))
  }
}

/** The stub with every "Not implemented yet" replaced by what the probe reached. */
function failingWithWhatItReached(stub: string): string {
  return withStubBody(stub, 'throw new Error(found())')
}

/** The stub with each `throw new Error('Not implemented yet...')` statement replaced by `statement`. */
function withStubBody(stub: string, statement: string): string {
  return stub.replace(/throw new Error\(\s*'Not implemented yet[\s\S]*?\)\n/g, `${statement}\n`)
}

/**
 * Writes the named fixture submissions (all but those for hidden tests by default) into `dir`, one
 * folder each. The hostile ones aim at `targets`: by default this project, `dir` itself, and the folder around it for outputs.
 */
export async function writeFixtureSubmissions(dir: string, names = Object.keys(FIXTURE_SUBMISSIONS), targets?: Partial<Targets>): Promise<void> {
  const aimedAt: Targets = { project: projectRoot, submissions: dir, outputs: dirname(dir), ...targets }
  for (const name of names) {
    const fixture = FIXTURE_SUBMISSIONS[name] ?? WITH_HIDDEN_TESTS[name]!
    const folder = join(dir, name)
    if (fixture.linkTo) {
      await mkdir(dir, { recursive: true })
      await symlink(fixture.linkTo, folder)
      continue
    }
    await mkdir(folder, { recursive: true })
    for (const [kataFolder, source] of Object.entries(fixture.katas)) {
      const kata = kataFromFolder(kataFolder)!
      const path = join(folder, fixture.layout === 'clone' ? 'katas' : '', kata.folder, kata.implementationFile)
      if (!Object.keys(fixture.links ?? {}).some((link) => path.startsWith(join(folder, link)))) await writeAt(path, await sourceOf(kataFolder, source, aimedAt))
    }
    for (const [relative, text] of Object.entries(fixture.extraFiles ?? {})) await writeAt(join(folder, relative), text)
    for (const [relative, target] of Object.entries(fixture.links ?? {})) {
      await mkdir(dirname(join(folder, relative)), { recursive: true })
      await symlink(target.replace(/^PROJECT\//, `${projectRoot}/`), join(folder, relative))
    }
  }
}

/** `count` copies of the reference solutions, as submissions named student-001, student-002, ... */
export async function writeSolutionCopies(dir: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    for (const kata of katas) {
      const source = await readFile(join(solutionsDir, kata.folder, kata.implementationFile), 'utf8')
      await writeAt(join(dir, `student-${String(i).padStart(3, '0')}`, kata.folder, kata.implementationFile), source)
    }
  }
}

/**
 * What a resource attacker's kata file does as it loads, every kind of abuse at once; its kata function
 * then never settles, so the attack lasts as long as the run lets it.
 */
const RESOURCE_ATTACKS: Record<string, string> = {
  'burns every core': `
for (let i = 0; i < 4 * availableParallelism(); i++) spawn(process.execPath, ['-e', 'for (;;) {}'], { detached: true, stdio: 'ignore' }).on('error', () => {}).unref()`,
  'forks hundreds of processes': `
const idle: [string, string[]] = existsSync('/usr/bin/sleep') ? ['/usr/bin/sleep', ['600']] : [process.execPath, ['-e', 'setTimeout(() => {}, 600e3)']]
for (let i = 0; i < 600; i++) spawn(idle[0], idle[1], { detached: true, stdio: 'ignore' }).on('error', () => {}).unref()`,
  'fills its disk': `
const chunk = Buffer.alloc(16 * 1024 * 1024, 7)
for (const folder of [tmpdir(), '/tmp', process.env.HOME ?? '/']) {
  for (let i = 0; i < 256; i++) { try { writeFileSync(join(folder, 'fill-' + process.pid + '-' + i), chunk) } catch { break } }
}`,
  'eats memory past its limit': `
for (let i = 0; i < 3; i++) {
  spawn(process.execPath, ['-e', 'const held = []; for (;;) held.push(Buffer.alloc(64 << 20, 1))'], { detached: true, stdio: 'ignore' }).on('error', () => {}).unref()
}`,
}

const ATTACK_IMPORTS = `import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
`

/**
 * A class of one resource attacker ("attacker": its 01-bind file loads every attack of RESOURCE_ATTACKS,
 * then never settles; its other katas are stubs) and `classmates` copies of the reference solutions.
 */
export async function writeAttackerClass(dir: string, classmates: number): Promise<void> {
  for (const kata of katas) {
    const stub = await readFile(join(stubsDir, kata.folder, kata.implementationFile), 'utf8')
    const attacks = Object.values(RESOURCE_ATTACKS).join('\n')
    const source = kata.folder === '01-bind' ? `${ATTACK_IMPORTS}${attacks}\n${neverSettling(stub)}` : stub
    await writeAt(join(dir, 'attacker', kata.folder, kata.implementationFile), source)
  }
  for (let i = 1; i <= classmates; i++) {
    for (const kata of katas) {
      const source = await readFile(join(solutionsDir, kata.folder, kata.implementationFile), 'utf8')
      await writeAt(join(dir, `classmate-${i}`, kata.folder, kata.implementationFile), source)
    }
  }
}

function neverSettling(stub: string): string {
  return withStubBody(stub, 'return new Promise(() => {})')
}

async function writeAt(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, text)
}
