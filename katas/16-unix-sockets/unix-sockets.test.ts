import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import type net from 'node:net'
import { join } from 'node:path'
import { describe, expect, test, type TestContext } from 'vitest'
import { kataUnderTest } from '#harness/kata-process/kata-under-test.ts'
import { RemoteServer } from '#harness/kata-process/remote.ts'
import { procNetUnixUnavailable, unixSocketsOwnedBy, type UnixSocket } from '#harness/kernel/proc-net.ts'
import { describeOutcome, outcome, type Outcome } from '#harness/lifecycle/outcome.ts'
import { within } from '#harness/lifecycle/within.ts'
import { busyServerSocketFile, deadServerSocketFile, socketFolder, unixConnectionAttempt, unixTestServer } from '#harness/sockets/unix-peers.ts'

const kata = await kataUnderTest<typeof import('./unix-sockets.ts')>(import.meta.url)
const { listenUnix } = kata.exports

/** How long listenUnix() may take: a look at the path, a connection refused or accepted, an unlink, a listen. */
const LISTEN_MS = 2000
/** How long the live server may take to see a client's bytes. */
const ACCEPT_MS = 2000
/** The most bytes a path may have: sun_path is 108 bytes, the last one the closing NUL. */
const MAX_PATH_BYTES = 107
/** A path too long for sun_path. */
const LONG_PATH_BYTES = 120
/** What the test's client says, to tell its own connection from the probe your code may make. */
const HELLO = 'hello from the test'

/** A fresh folder for the test's paths, that your kata process's user may create files in and remove them from. */
async function folder(): Promise<string> {
  const { uid } = await kata.processIdentity()
  return socketFolder(uid)
}

function listenUnixOn(path: string, situation: string): Promise<Outcome<RemoteServer>> {
  return outcome(LISTEN_MS, `listenUnix() never settled ${situation}`, listenUnix(path))
}

/** "resolved", "rejected with EADDRINUSE": how a call ended, in the words the contract uses. */
function settledAs(result: Outcome<unknown>): string {
  if (result.resolved) return 'resolved'
  return `rejected with ${result.error?.code ?? 'an error that has no code'}`
}

/** A client of the test's connects to `path` (the wire's word that something listens there), or the test fails saying so. */
async function expectConnectable(path: string, what: string): Promise<void> {
  const { result } = await unixConnectionAttempt(path)
  expect(result, `${what}, yet a client of the test's connecting to ${path} got ${result}`).toBe('connected')
}

/** The Unix sockets your kata process holds, as the kernel shows them; skips where they cannot be told. */
async function unixSocketsOfKata(context: TestContext): Promise<UnixSocket[]> {
  const unavailable = procNetUnixUnavailable()
  if (unavailable) context.skip(unavailable)
  await kata.process()
  const rows = unixSocketsOwnedBy(kata.socketOwner())
  if (!rows) context.skip("the kata process's descriptors cannot be read here, and /proc/net/unix says nothing of whose a socket is")
  return rows ?? []
}

/** "stream LISTEN /tmp/sk-x/server.sock": a row of /proc/net/unix, in words. */
function describeUnixRow(row: UnixSocket): string {
  return `${row.type} ${row.listening ? 'LISTEN' : `St ${row.state}`} ${row.path || '(no path)'}`
}

/** What is in a folder, names as they are (one cut inside a UTF-8 character too), with their byte lengths. */
function listing(folder: string): string[] {
  return readdirSync(folder, { encoding: 'buffer' }).map((name) => `${name.toString()} (${name.length} bytes)`)
}

/**
 * Whether the test's live server still gets new clients: a client of the test's connects to `path` and
 * says HELLO, and the live server must receive it. (Your code's own probe, if it made one, says nothing.)
 */
async function liveServerFate(server: net.Server, path: string): Promise<string> {
  const heard = new Promise<void>((resolve) =>
    server.on('connection', (socket) =>
      socket.on('data', (bytes) => {
        if (bytes.toString().includes(HELLO)) resolve()
      }),
    ),
  )
  const { result, client } = await unixConnectionAttempt(path)
  if (result !== 'connected') return `a client connecting to ${path} got ${result}: the live server's socket file is gone`
  client.write(HELLO)
  return within(ACCEPT_MS, 'the live server never heard from the client', heard).then(
    () => 'the live server still accepts new clients',
    () => `a client connecting to ${path} reached another server than the live one (yours?): the live server, still running, gets no new clients`,
  )
}

/** A path of exactly `bytes` bytes in `folder`, its file name made of `fill`. */
function pathOfBytes(folder: string, bytes: number, fill = 'a'): string {
  const prefix = `${folder}/`
  const room = bytes - Buffer.byteLength(prefix)
  const perFill = Buffer.byteLength(fill)
  if (room < perFill + 1) throw new Error(`the temporary folder ${folder} is too long for a ${bytes}-byte path (set TMPDIR to a shorter one)`)
  const name = fill.repeat(Math.floor(room / perFill)) + 'a'.repeat(room % perFill)
  return prefix + name
}

describe('listenUnix(path)', () => {
  test("listens on a path where nothing is: resolves with a server on that path, and a client of the test's connects", async () => {
    const path = join(await folder(), 'server.sock')
    const result = await listenUnixOn(path, 'on a path where nothing was')
    expect(settledAs(result), `listenUnix() on a path where nothing was: it ${describeOutcome(result)}`).toBe('resolved')
    const server = (result as { value: unknown }).value
    expect(server, 'listenUnix() should resolve with the net.Server it started').toBeInstanceOf(RemoteServer)
    expect((server as RemoteServer).path, "the path the server listens on (server.address(), a string for a Unix socket)").toBe(path)
    expect(lstatSync(path).isSocket(), `what is at ${path} once listenUnix() resolved should be a socket file`).toBe(true)
    await expectConnectable(path, 'listenUnix() resolved')
  })

  test('the kernel shows the path in /proc/net/unix, listening, held by your kata process, and no other socket of yours', async (context) => {
    const path = join(await folder(), 'server.sock')
    const result = await listenUnixOn(path, 'on a path where nothing was')
    expect(settledAs(result), `listenUnix() on a path where nothing was: it ${describeOutcome(result)}`).toBe('resolved')
    const rows = await unixSocketsOfKata(context)
    expect(
      rows.map(describeUnixRow),
      "the Unix sockets your kata process holds once listenUnix() resolved, as /proc/net/unix shows them (Flags 00010000: listening): one stream socket listening on the path, and nothing else open",
    ).toEqual([`stream LISTEN ${path}`])
  })

  test("a dead server's socket file (its process killed with SIGKILL) is replaced: resolves, and a client of the test's connects", async () => {
    const path = join(await folder(), 'server.sock')
    await deadServerSocketFile(path)
    expect(lstatSync(path).isSocket(), `the test's setup: a killed server's socket file stays at ${path}`).toBe(true)
    expect((await unixConnectionAttempt(path)).result, `the test's setup: connecting to the killed server's socket file is refused`).toBe('ECONNREFUSED')

    const result = await listenUnixOn(path, "on the socket file a killed server left")
    expect(
      settledAs(result),
      `listenUnix() on the socket file a server killed with SIGKILL left behind (connecting to it is refused: nobody listens): it ${describeOutcome(result)}. ` +
        'A dead server\'s file must be removed (unlink) and the path listened on again',
    ).toBe('resolved')
    await expectConnectable(path, 'listenUnix() resolved after replacing the dead server\'s file')
    const rows = procNetUnixUnavailable() ? undefined : unixSocketsOwnedBy(kata.socketOwner())
    if (!rows) return // /proc/net/unix cannot be matched with the kata process here: the connection was the check
    expect(
      rows.filter((row) => row.listening).map(describeUnixRow),
      'the listening Unix sockets your kata process holds, as /proc/net/unix shows them',
    ).toEqual([`stream LISTEN ${path}`])
  })

  test("a live server's socket file is left alone: rejects with EADDRINUSE, and the live server still accepts new clients", async () => {
    const path = join(await folder(), 'server.sock')
    const live = await unixTestServer(path)
    const inode = lstatSync(path).ino
    const result = await listenUnixOn(path, 'on the path a live server of the test\'s listens on')
    const leftOpen = procNetUnixUnavailable() ? undefined : unixSocketsOwnedBy(kata.socketOwner())
    const fate = await liveServerFate(live, path)
    expect(
      fate,
      `listenUnix() on the path of a live server ${describeOutcome(result)}, and then ${fate}. A live server's socket file must never be removed: ` +
        'removing it does not stop that server, it only makes it unreachable, for good. Connect to the file first: a server that accepts is alive',
    ).toBe('the live server still accepts new clients')
    expect(lstatSync(path).ino, `the live server's socket file at ${path} (its inode)`).toBe(inode)
    expect(settledAs(result), `listenUnix() on the path of a live server: it ${describeOutcome(result)}`).toBe('rejected with EADDRINUSE')
    if (!leftOpen) return // /proc/net/unix cannot be matched with the kata process here: no check of what your code left open
    expect(
      leftOpen.map(describeUnixRow),
      'the Unix sockets your kata process held once listenUnix() had rejected, as /proc/net/unix shows them: a probe that found the server alive ' +
        'has done its job; destroy it, or every call leaves a connection open on that live server',
    ).toEqual([])
  })

  test("a busy live server's socket file (its accept queue full: connect says EAGAIN, not ECONNREFUSED) is left alone: rejects with EADDRINUSE", async () => {
    const path = join(await folder(), 'server.sock')
    const { inode, lastConnect } = await busyServerSocketFile(path)
    expect(lastConnect, "the test's setup: once a stopped server's accept queue is full, a connect to it gets EAGAIN").toBe('EAGAIN')
    const result = await listenUnixOn(path, "on the path of a live server too busy to accept")
    const where = `listenUnix() on the path of a live server whose accept queue is full (it is alive, but a connect to it says EAGAIN): it ${describeOutcome(result)}`
    expect(lstatSync(path, { throwIfNoEntry: false })?.ino, `${where}, and the server's socket file at ${path} (its inode) changed: only ECONNREFUSED means nobody listens`).toBe(inode)
    expect(settledAs(result), where).toBe('rejected with EADDRINUSE')
  })

  test('a regular file at the path is left alone: rejects with EADDRINUSE, the file unchanged (same inode, same content)', async () => {
    const path = join(await folder(), 'server.sock')
    const content = 'not a socket: somebody\'s data\n'
    writeFileSync(path, content)
    const inode = lstatSync(path).ino
    const result = await listenUnixOn(path, 'on a path where a regular file is')
    const now = fileState(path)
    expect(
      now,
      `what is at ${path}, a regular file before listenUnix() (which ${describeOutcome(result)}), is now ${now}: only a socket file may be removed (lstat(), then isSocket())`,
    ).toBe(`a regular file, inode ${inode}, content ${JSON.stringify(content)}`)
    expect(settledAs(result), `listenUnix() on a path where a regular file is: it ${describeOutcome(result)}`).toBe('rejected with EADDRINUSE')
  })

  test('a folder at the path is left alone: rejects with EADDRINUSE, the folder and what it holds unchanged', async () => {
    const path = join(await folder(), 'server.sock')
    mkdirSync(path)
    writeFileSync(join(path, 'inside.txt'), 'kept')
    const inode = lstatSync(path).ino
    const result = await listenUnixOn(path, 'on a path where a folder is')
    const now = fileState(path)
    expect(
      now,
      `what is at ${path}, a folder holding inside.txt before listenUnix() (which ${describeOutcome(result)}), is now ${now}: only a socket file may be removed`,
    ).toBe(`a folder, inode ${inode}, holding inside.txt`)
    expect(settledAs(result), `listenUnix() on a path where a folder is: it ${describeOutcome(result)}`).toBe('rejected with EADDRINUSE')
  })

  test("a symlink at the path, even one to a dead server's socket file, is not a socket: left alone, rejects with EADDRINUSE", async () => {
    const dir = await folder()
    const target = join(dir, 'dead.sock')
    const targetInode = await deadServerSocketFile(target)
    const path = join(dir, 'server.sock')
    symlinkSync(target, path)
    const inode = lstatSync(path).ino
    const result = await listenUnixOn(path, "on a symlink to a dead server's socket file")
    const now = fileState(path)
    expect(
      now,
      `what is at ${path}, a symlink to ${target} (a dead server's socket file) before listenUnix() (which ${describeOutcome(result)}), is now ${now}: ` +
        'a symlink is not a socket file, whatever it points to (lstat() tells; stat() follows the link): leave it to whoever put it there',
    ).toBe(`a symlink, inode ${inode}, to ${target}`)
    expect(lstatSync(target).ino, `the dead server's socket file the symlink points to, ${target} (its inode)`).toBe(targetInode)
    expect(settledAs(result), `listenUnix() on a symlink: it ${describeOutcome(result)}`).toBe('rejected with EADDRINUSE')
  })

  test('a 120-byte path: rejects with ENAMETOOLONG, and creates nothing, not even a file at the path cut short to fit', async () => {
    const dir = await folder()
    const path = pathOfBytes(dir, LONG_PATH_BYTES)
    const result = await listenUnixOn(path, `on a ${LONG_PATH_BYTES}-byte path`)
    const created = listing(dir)
    expect(
      settledAs(result),
      `listenUnix() on a path of ${LONG_PATH_BYTES} bytes, more than sun_path's ${MAX_PATH_BYTES} (and its NUL): it ${describeOutcome(result)}` +
        `${created.length > 0 ? `, and the folder now holds ${created.join(', ')}` : ''}. ` +
        'Node 20 and 22 cut such a path short without a word, and Node 24 says EINVAL: check Buffer.byteLength(path) yourself, first',
    ).toBe('rejected with ENAMETOOLONG')
    expect(created, `what the folder ${dir} holds after listenUnix() refused a ${LONG_PATH_BYTES}-byte path: nothing (check the length before touching the filesystem)`).toEqual([])
  })

  test('a 120-byte path in fewer than 108 characters (é is two bytes in UTF-8): rejects with ENAMETOOLONG too, the limit is in bytes', async () => {
    const dir = await folder()
    const path = pathOfBytes(dir, LONG_PATH_BYTES, 'é')
    expect(path.length, "the test's setup: a path of fewer characters than sun_path holds bytes").toBeLessThanOrEqual(MAX_PATH_BYTES)
    const result = await listenUnixOn(path, `on a ${LONG_PATH_BYTES}-byte path of ${path.length} characters`)
    const created = listing(dir)
    expect(
      settledAs(result),
      `listenUnix() on a path of ${path.length} characters but ${Buffer.byteLength(path)} bytes (each é is 2 bytes in UTF-8): it ${describeOutcome(result)}` +
        `${created.length > 0 ? `, and the folder now holds ${created.join(', ')}` : ''}. ` +
        'sun_path counts bytes: path.length counts UTF-16 code units. Use Buffer.byteLength(path)',
    ).toBe('rejected with ENAMETOOLONG')
    expect(created, `what the folder ${dir} holds after listenUnix() refused a ${LONG_PATH_BYTES}-byte path: nothing`).toEqual([])
  })

  test("a 107-byte path, the longest sun_path holds with its closing NUL: resolves, and a client of the test's connects", async () => {
    const path = pathOfBytes(await folder(), MAX_PATH_BYTES)
    const result = await listenUnixOn(path, `on a ${MAX_PATH_BYTES}-byte path`)
    expect(settledAs(result), `listenUnix() on a path of exactly ${MAX_PATH_BYTES} bytes, which fits: it ${describeOutcome(result)}`).toBe('resolved')
    expect(lstatSync(path).isSocket(), `what is at the ${MAX_PATH_BYTES}-byte path once listenUnix() resolved should be a socket file`).toBe(true)
    await expectConnectable(path, `listenUnix() resolved on a ${MAX_PATH_BYTES}-byte path`)
  })
})

/** "a regular file, inode 12, content \"...\"", "a folder, inode 13, holding a, b", "a symlink, inode 14, to /x", "nothing": what is at `path` now. */
function fileState(path: string): string {
  let stats
  try {
    stats = lstatSync(path)
  } catch {
    return 'nothing: it was removed'
  }
  if (stats.isSymbolicLink()) return `a symlink, inode ${stats.ino}, to ${readlinkSync(path)}`
  if (stats.isDirectory()) return `a folder, inode ${stats.ino}, holding ${readdirSync(path).sort().join(', ') || 'nothing'}`
  if (stats.isSocket()) return `a socket file, inode ${stats.ino} (the one your listen made?)`
  if (stats.isFile()) return `a regular file, inode ${stats.ino}, content ${JSON.stringify(readFileSync(path, 'utf8'))}`
  return `something else, inode ${stats.ino}`
}
