import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { projectRoot } from '../harness/paths.ts'
import { vitestBin } from '../harness/run-katas.ts'
import { until } from '../harness/lifecycle/within.ts'
import { copyOfProject, type ProjectCopy } from './test-support/project-copy.ts'

const CHROMIUM = '/usr/bin/chromium'
/** How the probe of this machine starts Chromium headless, root and offline alike. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** A generous height for one row of the UI's test tree (about 28 px in Vitest 4.1's UI). */
const ROW_PX = 40

let copy: ProjectCopy | undefined
let stopUi = () => {}
afterEach(async () => {
  stopUi()
  await copy?.remove()
})

/** Every kata test, as `vitest list` collects them (nothing runs). */
function everyKataTest(): { name: string; file: string }[] {
  const json = execFileSync(process.execPath, [vitestBin, 'list', '--project', 'katas', '--json'], { cwd: projectRoot, encoding: 'utf8' })
  return JSON.parse(json) as { name: string; file: string }[]
}

test("npm run ui serves the Vitest UI at the address it states, showing every kata's tests", async (context) => {
  if (!existsSync(CHROMIUM)) context.skip(`Chromium is not installed at ${CHROMIUM} (.ci/run installs Debian's chromium package)`)
  copy = await copyOfProject()
  const ui = spawn('npm', ['run', '--silent', 'ui'], { cwd: copy.root, env: { ...process.env, CI: '1', NO_COLOR: '1' }, detached: true })
  stopUi = () => process.kill(-ui.pid!, 'SIGTERM')
  let printed = ''
  ui.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()))
  await until(30_000, 'npm run ui never stated its address', () => /is at http:\/\/127\.0\.0\.1:\d+\/__vitest__\//.test(printed))
  const address = /(http:\/\/127\.0\.0\.1:\d+\/__vitest__\/)/.exec(printed)![1]!

  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    // The UI renders only the rows in view: a page tall enough for every row (a test, a describe, a file) shows them all at once.
    const tests = everyKataTest()
    const rows = tests.length + new Set(tests.map((t) => t.file)).size + describeBlocks(tests)
    const page = await browser.newPage({ viewport: { width: 1400, height: Math.max(2400, ROW_PX * rows + 600) } })
    await page.goto(address)
    // The UI fills its tree as the run it starts collects and runs each file: wait (bounded) until every test is there.
    const titles = tests.map(({ name }) => name.split(' > ').at(-1)!)
    let text = ''
    const showsEveryTest = async () => {
      text = (await page.textContent('body')) ?? ''
      return titles.every((title) => text.includes(title))
    }
    await until(60_000, 'the UI never showed every kata test', showsEveryTest, 250).catch(() => {}) // the checks below name what is missing
    for (const file of new Set(tests.map((t) => t.file.slice(t.file.indexOf('/katas/') + '/katas/'.length)))) {
      expect(text, `the UI lists ${file}`).toContain(file)
    }
    tests.forEach(({ name }, i) => expect(text, `the UI lists the test "${name}"`).toContain(titles[i]))
    expect(text, 'the dashboard counts every test').toContain(String(tests.length))
    await mkdir(join(projectRoot, '.artifacts'), { recursive: true })
    await page.screenshot({ path: join(projectRoot, '.artifacts', 'ui.png') })
  } finally {
    await browser.close()
  }
})

/** How many describe blocks hold the tests: each is a row of the tree too. */
function describeBlocks(tests: { name: string; file: string }[]): number {
  const blocks = tests.flatMap(({ name, file }) => name.split(' > ').slice(0, -1).map((_, i, path) => `${file} > ${path.slice(0, i + 1).join(' > ')}`))
  return new Set(blocks).size
}
