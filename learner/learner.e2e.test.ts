import { exec } from 'node:child_process'
import { access, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, test } from 'vitest'
import { listKatas } from '../harness/katas.ts'
import { projectRoot, testsRoot } from '../harness/paths.ts'
import { copyOfProject, type ProjectCopy } from './test-support/project-copy.ts'
import { Terminal } from './test-support/terminal.ts'

const run = promisify(exec)
const KATA_COUNT = listKatas(testsRoot()).length
let copy: ProjectCopy

afterEach(() => copy?.remove())

/** A command as a learner types it in the copy, without a terminal (as in a CI log). */
function npm(command: string): Promise<{ output: string; code: number }> {
  return run(`npm run --silent ${command}`, { cwd: copy.root, env: { ...process.env, NO_COLOR: '1' } }).then(
    ({ stdout }) => ({ output: stdout, code: 0 }),
    (error: { stdout: string; code: number }) => ({ output: error.stdout, code: error.code }),
  )
}

describe('npm run progress', () => {
  test('lists every kata with its state and names the next one to open', async () => {
    copy = await copyOfProject()
    await copy.put('solutions/01-bind/bind.ts', 'katas/01-bind/bind.ts')
    await copy.put('fixtures/wrong/02-port-zero/random-port.ts', 'katas/02-port-zero/port-zero.ts')
    const { output } = await npm('progress')
    expect(output).toMatch(/✔ 01-bind\s+done/)
    expect(output).toMatch(/◐ 02-port-zero\s+\d+\/\d+ tests passing/) // some pass, not all: the counts are the kata's business
    expect(output).toMatch(/○ 03-backlog\s+not started/)
    expect(output).toContain('Next: 02-port-zero: read katas/02-port-zero/README.md, then edit katas/02-port-zero/port-zero.ts')
  })
})

describe('npm run hint', () => {
  test('reveals one hint at a time and remembers how many were shown', async () => {
    copy = await copyOfProject()
    const first = await npm('hint -- 03')
    expect(first.output).toContain('Hint 1:')
    expect(first.output).toContain('Hint 1 of 3. Run npm run hint -- 03 again for the next one.')
    const second = await npm('hint -- backlog')
    expect(second.output).toMatch(/\(seen\) Hint 1:/)
    expect(second.output).toContain('Hint 2 of 3.')
    await npm('hint -- 03')
    const beyond = await npm('hint -- 03-backlog')
    expect(beyond.output).toContain('That was the last hint for 03-backlog')
    expect(JSON.parse(await readFile(join(copy.root, '.socket-katas', 'state.json'), 'utf8'))).toEqual({ hintsShown: { '03-backlog': 3 } })
    expect((await npm('hint -- 01')).output).toContain('Hint 1 of 3.')
  })

  test('with no kata named, gives the next hint of the first kata not passing', async () => {
    copy = await copyOfProject()
    await copy.put('solutions/01-bind/bind.ts', 'katas/01-bind/bind.ts')
    const { output } = await npm('hint')
    expect(output).toContain('No kata named: running them all to find the first one not passing yet')
    expect(output).toContain('Hint 1 of 3. Run npm run hint -- 02 again for the next one.')
  })

  test('names the katas when asked for one that does not exist', async () => {
    copy = await copyOfProject()
    const { output, code } = await run('npm run --silent hint -- 99', { cwd: copy.root }).then(
      ({ stderr }) => ({ output: stderr, code: 0 }),
      (error: { stderr: string; code: number }) => ({ output: error.stderr, code: error.code }),
    )
    expect(code).toBe(1)
    expect(output).toContain('there is no kata "99"; the katas are 01-bind, 02-port-zero')
  })
})

describe('npm run reset', () => {
  test('asks first, and on yes puts the stub back and keeps the learner version', async () => {
    copy = await copyOfProject()
    const file = join(copy.root, 'katas', '04-accept', 'accept.ts')
    const stub = await readFile(file, 'utf8')
    await writeFile(file, 'export const acceptOne = 1 // a mess\n')

    const declined = Terminal.open('npm run --silent reset -- 04', copy.root)
    await declined.waitFor('Put the stub back in katas/04-accept/accept.ts?')
    declined.press('n\r')
    await declined.waitFor('Left katas/04-accept/accept.ts as it was.')
    expect(await declined.exitCode()).toBe(1)
    expect(await readFile(file, 'utf8')).toBe('export const acceptOne = 1 // a mess\n')

    const accepted = Terminal.open('npm run --silent reset -- 04', copy.root)
    await accepted.waitFor('[y/N]')
    accepted.press('y\r')
    await accepted.waitFor('katas/04-accept/accept.ts is the stub again. Your version is in .socket-katas/backups/04-accept/')
    expect(await accepted.exitCode()).toBe(0)
    expect(await readFile(file, 'utf8')).toBe(stub)
    const [backup] = await readdir(join(copy.root, '.socket-katas', 'backups', '04-accept'))
    expect(await readFile(join(copy.root, '.socket-katas', 'backups', '04-accept', backup!), 'utf8')).toContain('a mess')
  })

  test('restores a deleted file, and without a terminal wants --yes', async () => {
    copy = await copyOfProject()
    const file = join(copy.root, 'katas', '05-refused', 'refused.ts')
    await rm(file)
    expect((await npm('reset -- 05')).code).toBe(1)
    await expect(access(file)).rejects.toThrow()
    const { output, code } = await npm('reset -- 05 --yes')
    expect(code).toBe(0)
    expect(output).toContain('katas/05-refused/refused.ts is the stub again.')
    expect(await readFile(file, 'utf8')).toContain('Not implemented yet')
  })
})

describe('npm run solution', () => {
  test('stays closed until the kata passes, then shows the reference beside the learner own', async () => {
    copy = await copyOfProject()
    const closed = await npm('solution -- 02')
    expect(closed.code).toBe(1)
    expect(closed.output).toContain('The reference solution of 02-port-zero opens once your own passes')
    expect(closed.output).not.toContain('server.listen(')

    await copy.put('solutions/02-port-zero/port-zero.ts', 'katas/02-port-zero/port-zero.ts')
    await writeFile(join(copy.root, 'katas', '02-port-zero', 'port-zero.ts'), `// my own take\n${await readFile(join(copy.root, 'katas', '02-port-zero', 'port-zero.ts'), 'utf8')}`)
    const open = await npm('solution -- 02')
    expect(open.code).toBe(0)
    expect(open.output).toContain('02-port-zero passes. Here is the reference solution beside yours')
    expect(open.output).toContain('Yours (katas/02-port-zero/port-zero.ts)')
    expect(open.output).toContain('// my own take')
    expect(open.output).toContain('Reference (solutions/02-port-zero/port-zero.ts)')
  })
})

describe('npm test', () => {
  test('a kata not started is one friendly line, with no stack trace', async () => {
    copy = await copyOfProject()
    const { output } = await run('npm test --silent -- 03', { cwd: copy.root, env: { ...process.env, NO_COLOR: '1' } }).then(
      ({ stdout }) => ({ output: stdout }),
      (error: { stdout: string }) => ({ output: error.stdout }),
    )
    expect(output).toContain('○ 03-backlog  not started: write listenWithBacklog() in katas/03-backlog/backlog.ts (the lesson is katas/03-backlog/README.md)')
    expect(output).not.toMatch(/\bat .*\.ts:\d+|❯|FAIL/)
    expect(output).not.toMatch(/\x1b\[/)
  })

  test('a kata that does not exist: the katas there are, and how to name one', async () => {
    copy = await copyOfProject()
    const { output, code } = await npm('test -- 99')
    expect(code).not.toBe(0)
    expect(output).toContain('No kata ran: no kata matches what you asked for. The katas are:\n  01-bind\n  02-port-zero\n')
    expect(output).toContain('npm test -- 03 or npm test -- backlog')
  })

  test('a syntax error: the progress line says what failed and where, and the frame marks the spot', async () => {
    copy = await copyOfProject()
    const file = join(copy.root, 'katas/04-accept/accept.ts')
    await writeFile(file, (await readFile(file, 'utf8')).replace('throw new Error(', 'throw new Error( x y'))
    const { output } = await npm('test -- 04')
    expect(output).toMatch(/✘ 04-accept\s+could not run: accept\.ts does not compile: Expected "\)" but found "y" \(line \d+\)/)
    expect(output).toMatch(/\n\s+\^\n/)
    expect(output).not.toContain('Vitest reported an error outside any test')
  })
})

describe('npm test, explaining a bare JavaScript error', () => {
  test("server.address() read before listening: the TypeError is told in socket words", async () => {
    copy = await copyOfProject()
    await writeFile(
      join(copy.root, 'katas/02-port-zero/port-zero.ts'),
      [
        "import net from 'node:net'",
        'export function listenOnAnyPort(host: string): Promise<{ server: net.Server; port: number }> {',
        '  const server = net.createServer()',
        '  server.listen({ host, port: 0 })',
        '  return Promise.resolve({ server, port: (server.address() as net.AddressInfo).port })',
        '}',
      ].join('\n'),
    )
    const { output } = await npm('test -- 02')
    expect(output).toContain("Cannot read properties of null (reading 'port')")
    expect(output).toMatch(/TypeError: server\.address\(\) is null while the server is not listening/)
  })
})

describe('npm run watch', () => {
  test('works on the first kata not passing, moves on when it passes, and answers single keys', async () => {
    copy = await copyOfProject()
    await copy.put('solutions/01-bind/bind.ts', 'katas/01-bind/bind.ts')
    const terminal = Terminal.open('npm run --silent watch', copy.root)
    await terminal.waitFor('socket-katas · 02-port-zero · watching katas/02-port-zero/port-zero.ts', 60_000)
    await terminal.waitFor(`1 of ${KATA_COUNT} katas done`)

    let mark = terminal.text.length
    terminal.press('h')
    await terminal.waitFor(/Hint 1: .*\n[\s\S]*Hint 1 of 3\. Press h for the next one\./, 10_000, mark)

    mark = terminal.text.length
    await copy.put('fixtures/wrong/02-port-zero/random-port.ts', 'katas/02-port-zero/port-zero.ts')
    await terminal.waitFor(/◐ 02-port-zero {2}\d+ of \d+ tests pass[\s\S]*First failure: the OS chose the port/, 15_000, mark)
    await terminal.waitFor(/result \d+(\.\d+)? m?s after your save/, 5000, mark)

    mark = terminal.text.length
    await copy.put('solutions/02-port-zero/port-zero.ts', 'katas/02-port-zero/port-zero.ts')
    await terminal.waitFor('✔ 02-port-zero passes. On to 03-backlog.', 15_000, mark)
    await terminal.waitFor('socket-katas · 03-backlog', 5000, mark)
    await terminal.waitFor(`2 of ${KATA_COUNT} katas done`, 5000, mark)

    mark = terminal.text.length
    terminal.press('l')
    await terminal.waitFor(/✔ 02-port-zero\s+done[\s\S]*○ 03-backlog\s+not started/, 10_000, mark)

    terminal.press('q')
    await terminal.waitFor('Stopped watching.')
    expect(await terminal.exitCode()).toBe(0)
  })
})

describe('npm run watch, as saves come', () => {
  /** Saves `content` as editors that write a temporary file and rename it over do (JetBrains, gedit, sed -i). */
  async function saveByRename(file: string, content: string): Promise<void> {
    await writeFile(`${file}.tmp-save`, content)
    await rename(`${file}.tmp-save`, file)
  }
  const fixture = (path: string) => readFile(join(projectRoot, path), 'utf8')

  test('every save is seen, by rename or in place, with a running line until its result; a deleted file is waited for', async () => {
    copy = await copyOfProject()
    await copy.put('solutions/01-bind/bind.ts', 'katas/01-bind/bind.ts')
    const file = join(copy.root, 'katas', '02-port-zero', 'port-zero.ts')
    const terminal = Terminal.open('npm run --silent watch', copy.root)
    await terminal.waitFor('socket-katas · 02-port-zero · watching katas/02-port-zero/port-zero.ts', 60_000)
    await terminal.waitFor('keys:')

    // By rename: a mistake that makes one test wait out its 2 s, long enough to watch the running line's clock move.
    let mark = terminal.text.length
    await saveByRename(file, await fixture('fixtures/wrong/02-port-zero/error-only-logged.ts'))
    await terminal.waitFor(/⟳ running 02-port-zero… [\d.]+ s since your save[\s\S]*First failure: an address this host does not have/, 20_000, mark)
    await terminal.waitFor(/result [\d.]+ m?s after your save/, 5000, mark)
    const clock = [...terminal.text.slice(mark).matchAll(/running 02-port-zero… ([\d.]+) s since your save/g)].map(([, seconds]) => seconds)
    expect(new Set(clock).size).toBeGreaterThan(1)

    mark = terminal.text.length
    await writeFile(file, await fixture('fixtures/wrong/02-port-zero/random-port.ts'))
    await terminal.waitFor(/running 02-port-zero…[\s\S]*First failure: the OS chose the port/, 20_000, mark)

    mark = terminal.text.length
    await saveByRename(file, await fixture('fixtures/wrong/02-port-zero/no-error-listener.ts'))
    await terminal.waitFor(/running 02-port-zero…[\s\S]*First failure: an address this host does not have[\s\S]*went unhandled in your code/, 20_000, mark)

    mark = terminal.text.length
    await rm(file)
    await terminal.waitFor('katas/02-port-zero/port-zero.ts is gone. Watching for it to come back (npm run reset -- 02 puts the stub back).', 10_000, mark)
    await terminal.waitFor('keys:', 5000, mark)

    mark = terminal.text.length
    await writeFile(file, await fixture('solutions/02-port-zero/port-zero.ts'))
    await terminal.waitFor('✔ 02-port-zero passes. On to 03-backlog.', 20_000, mark)

    terminal.press('q')
    await terminal.waitFor('Stopped watching.')
    expect(await terminal.exitCode()).toBe(0)
  })

  test('lists every failing test with its reason, and n explains the next one in full', async () => {
    copy = await copyOfProject()
    await copy.put('fixtures/wrong/01-bind/no-error-listener.ts', 'katas/01-bind/bind.ts')
    const terminal = Terminal.open('npm run --silent watch', copy.root)
    await terminal.waitFor('keys: n next failure · h hint', 60_000)
    expect(terminal.text).toMatch(/✘ a port already in use rejects with EADDRINUSE.*\n +EADDRINUSE \(listen EADDRINUSE: .*\) went unhandled in your code/)
    expect(terminal.text).toMatch(/✘ an address this host does not have rejects with EADDRNOTAVAIL\n +EADDRNOTAVAIL \(listen EADDRNOTAVAIL: .*\) went unhandled/)
    expect(terminal.text).toContain('First failure: a port already in use rejects with EADDRINUSE')

    let mark = terminal.text.length
    terminal.press('n')
    await terminal.waitFor(/Failure 2 of 2: an address this host does not have rejects with EADDRNOTAVAIL\n.*EADDRNOTAVAIL/, 5000, mark)
    mark = terminal.text.length
    terminal.press('n')
    await terminal.waitFor('First failure: a port already in use rejects with EADDRINUSE', 5000, mark)

    terminal.press('q')
    await terminal.waitFor('Stopped watching.')
    expect(await terminal.exitCode()).toBe(0)
  })

  test("a syntax error shows the compiler's code frame down to the marker under the faulty spot", async () => {
    copy = await copyOfProject()
    const solution = await fixture('solutions/01-bind/bind.ts')
    const broken = solution.replace('server.listen({ host, port }', 'server.listen({ host port }')
    expect(broken).not.toBe(solution)
    await writeFile(join(copy.root, 'katas', '01-bind', 'bind.ts'), broken)
    const terminal = Terminal.open('npm run --silent watch', copy.root)
    await terminal.waitFor(/✘ 01-bind {2}could not run: bind\.ts does not compile: .*\n.*bind\.ts:\d+:\d+: .*\n +.*server\.listen\(\{ host port \}.*\n +\^/, 60_000)
    terminal.press('q')
    await terminal.waitFor('Stopped watching.')
  })

  test('with every kata passing, h says there is no hint left to give', async () => {
    copy = await copyOfProject()
    for (const kata of listKatas(testsRoot())) await copy.put(`solutions/${kata.folder}/${kata.implementationFile}`, `katas/${kata.folder}/${kata.implementationFile}`)
    const terminal = Terminal.open('npm run --silent watch', copy.root)
    await terminal.waitFor('socket-katas · every kata passes. Well done.', 60_000)
    const mark = terminal.text.length
    terminal.press('h')
    await terminal.waitFor('Every kata passes; there are no hints left to give.', 5000, mark)
    terminal.press('q')
    await terminal.waitFor('Stopped watching.')
  })

  test('at 80 x 24 the header stays on screen, long lines wrap within 80 columns, and the cut says where the rest is', async () => {
    copy = await copyOfProject()
    await copy.put('fixtures/wrong/01-bind/no-error-listener.ts', 'katas/01-bind/bind.ts')
    const terminal = Terminal.open('npm run --silent watch', copy.root, {}, { columns: 80, rows: 24 })
    await terminal.waitFor(/… \d+ more lines: npm test -- 01 prints them all[\s\S]*keys:/, 60_000)
    const screen = terminal.lastScreen
    expect(screen[0]).toBe('socket-katas · 01-bind · watching katas/01-bind/bind.ts')
    expect(screen.length).toBeLessThanOrEqual(24)
    expect(screen.filter((line) => line.length > 80)).toEqual([])
    expect(screen.at(-1)).toMatch(/^keys: /)
    terminal.press('q')
    await terminal.waitFor('Stopped watching.')
  })
})
