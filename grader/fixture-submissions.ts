/**
 * Submissions a class could really hand in, built on demand in a temporary folder: from the reference
 * solutions, the stubs, the wrong implementations in fixtures/wrong, and a few hostile variants.
 * The grader's end-to-end tests and its benchmark grade these.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { kataFromFolder, listKatas } from '../harness/katas.ts'
import { katasDir, projectRoot, solutionsDir, stubsDir } from '../harness/paths.ts'

const katas = listKatas(katasDir)

type KataSource =
  | { from: 'solution'; append?: string }
  | { from: 'stub'; append?: string }
  | { from: 'wrong'; name: string }
  | { from: 'text'; text: string }

interface FixtureSubmission {
  /** Kata file sources by kata folder; a kata left out is missing from the submission. */
  katas: Record<string, KataSource>
  /** Where the kata files go: directly (NN-slug/) or in a clone of the repository (katas/NN-slug/). */
  layout?: 'flat' | 'clone'
  /** Other files the student put in the folder, by relative path. */
  extraFiles?: Record<string, string>
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

async function sourceOf(kataFolder: string, source: KataSource): Promise<string> {
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
  }
}

/** Writes the named fixture submissions (all by default) into `dir`, one folder each. */
export async function writeFixtureSubmissions(dir: string, names = Object.keys(FIXTURE_SUBMISSIONS)): Promise<void> {
  for (const name of names) {
    const fixture = FIXTURE_SUBMISSIONS[name]!
    const folder = join(dir, name)
    await mkdir(folder, { recursive: true })
    for (const [kataFolder, source] of Object.entries(fixture.katas)) {
      const kata = kataFromFolder(kataFolder)!
      const path = join(folder, fixture.layout === 'clone' ? 'katas' : '', kata.folder, kata.implementationFile)
      await writeAt(path, await sourceOf(kataFolder, source))
    }
    for (const [relative, text] of Object.entries(fixture.extraFiles ?? {})) await writeAt(join(folder, relative), text)
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

async function writeAt(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, text)
}
