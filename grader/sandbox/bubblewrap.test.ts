import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { projectRoot } from '../../harness/paths.ts'
import { bubblewrapArgs, bubblewrapProblem, type SandboxView } from './bubblewrap.ts'

const asRoot = process.platform === 'linux' && process.getuid?.() === 0
let scratch: string
let view: SandboxView
let cannotRun: string | undefined

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sandbox-test-'))
  await writeFile(join(scratch, 'events.key'), 'secret', { mode: 0o600 })
  view = { projectRoot, node: process.execPath, readOnly: [], scratch, tmpMiB: 1 }
  cannotRun = !asRoot ? 'needs root, to run the probe as a throwaway user the way the grader does' : bubblewrapProblem(view, asRoot)
})

afterAll(() => rm(scratch, { recursive: true, force: true }))

/** What a kata process (user 61000, no capabilities) finds inside the sandbox. */
const LOOK_AROUND = `
const fs = require('fs')
const attempt = (action) => { try { action(); return 'ok' } catch (error) { return error.code } }
console.log(JSON.stringify({
  solutions: fs.existsSync(process.argv[1] + '/solutions'),
  git: fs.existsSync(process.argv[1] + '/.git'),
  harness: fs.existsSync(process.argv[1] + '/harness/paths.ts'),
  dockerSocket: fs.existsSync('/var/run/docker.sock') || fs.existsSync('/run/docker.sock'),
  home: fs.existsSync('/root') || fs.existsSync('/home'),
  processes: fs.readdirSync('/proc').filter((name) => /^\\d+$/.test(name)).length,
  interfaces: Object.keys(require('os').networkInterfaces()),
  smallWrite: attempt(() => fs.writeFileSync('/tmp/small', 'x')),
  overTmpSize: attempt(() => fs.writeFileSync('/tmp/big', Buffer.alloc(2 << 20))),
  projectWrite: attempt(() => fs.writeFileSync(process.argv[1] + '/grader/reporter.ts', '')),
  key: attempt(() => fs.readFileSync(process.argv[2] + '/events.key')),
}))
`

function lookAround(asUser: string[]): Record<string, unknown> {
  const probe = spawnSync('bwrap', [...bubblewrapArgs(view, asRoot), ...asUser, process.execPath, '-e', LOOK_AROUND, projectRoot, scratch], {
    encoding: 'utf8',
    timeout: 20_000,
  })
  expect(probe.stderr).toBe('')
  return JSON.parse(probe.stdout) as Record<string, unknown>
}

const confined = { solutions: false, git: false, dockerSocket: false, home: false, interfaces: ['lo'], smallWrite: 'ok', overTmpSize: 'ENOSPC' }

test('the tests of a run see the system, the parts of the project that run the tests, read-only, and the scratch folder', (context) => {
  if (cannotRun) return context.skip(cannotRun)
  expect(lookAround([])).toEqual({ ...confined, harness: true, projectWrite: 'EROFS', key: 'ok', processes: 2 })
})

test("student code, as a throwaway user, sees not even that: neither the project nor the run's key", (context) => {
  if (cannotRun) return context.skip(cannotRun)
  const asKataUser = ['setpriv', '--reuid', '61000', '--regid', '61000', '--clear-groups', '--no-new-privs', '--inh-caps', '-all', '--']
  // processes: bwrap's init and the probe, in a PID namespace of their own
  expect(lookAround(asKataUser)).toEqual({ ...confined, harness: false, projectWrite: 'EACCES', key: 'EACCES', processes: 2 })
})
