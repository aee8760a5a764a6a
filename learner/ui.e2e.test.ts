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
    const rows = tests.length + 2 * new Set(tests.map((t) => t.file)).size
    const page = await browser.newPage({ viewport: { width: 1400, height: Math.max(2400, ROW_PX * rows + 600) } })
    await page.goto(address)
    const lastTest = tests.at(-1)!.name.split(' > ').at(-1)!
    await page.getByText(lastTest, { exact: false }).first().waitFor({ timeout: 30_000 })
    const text = (await page.textContent('body')) ?? ''
    for (const file of new Set(tests.map((t) => t.file.slice(t.file.indexOf('/katas/') + '/katas/'.length)))) {
      expect(text, `the UI lists ${file}`).toContain(file)
    }
    for (const { name } of tests) expect(text, `the UI lists the test "${name}"`).toContain(name.split(' > ').at(-1))
    expect(text, 'the dashboard counts every test').toContain(String(tests.length))
    await mkdir(join(projectRoot, '.artifacts'), { recursive: true })
    await page.screenshot({ path: join(projectRoot, '.artifacts', 'ui.png') })
  } finally {
    await browser.close()
  }
})
