/**
 * The test's own ends of Unix domain sockets: a folder for socket files, servers on a path, clients,
 * and the socket file a killed server leaves behind. All bounded and cleaned up after the test.
 */
import { spawn } from 'node:child_process'
import { chmodSync, lstatSync, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closeAfterTest } from '../lifecycle/cleanup.ts'
import { nextEvent, within } from '../lifecycle/within.ts'

const CONNECT_MS = 2000
/** A child Node process starts, listens and says so: slow on a busy machine. */
const CHILD_LISTENING_MS = 10_000
const CHILD_EXIT_MS = 5000

/**
 * A fresh folder for socket files, under the system's temporary folder, removed after the test with
 * all it holds. When `owner` (the kata process's user) is another than the test's, as when grading,
 * every user may create and remove files in it, whoever made them: the code under test must be able to
 * remove a dead server's file that the test's process made. (Not by chown: the grader's sandboxes give
 * the tests no CAP_CHOWN. Their temporary folder is private to the run.)
 */
export function socketFolder(owner?: number): string {
  const folder = mkdtempSync(join(tmpdir(), 'sk-'))
  closeAfterTest(() => rmSync(folder, { recursive: true, force: true }))
  if (owner !== undefined && owner !== process.getuid?.()) chmodSync(folder, 0o777)
  return folder
}

/**
 * A server of the test's own listening on `path`, its socket file writable by every user (so that a
 * kata process running as another user may connect to it, as to any server's); closed after the test.
 */
export async function unixTestServer(path: string): Promise<net.Server> {
  const server = closeAfterTest(net.createServer((socket) => closeAfterTest(socket.on('error', () => {}))))
  server.listen({ path, readableAll: true, writableAll: true })
  await nextEvent(server, 'listening', CONNECT_MS, `the test's own server never started listening on ${path}`)
  return server
}

/** Tries to connect to the socket at `path`: 'connected' (the socket is closed after the test), or the error code. */
export async function unixConnectionAttempt(path: string): Promise<{ result: string; client: net.Socket }> {
  const client = closeAfterTest(net.connect({ path }))
  try {
    await nextEvent(client, 'connect', CONNECT_MS, `a connection to ${path} neither succeeded nor failed`)
    return { result: 'connected', client }
  } catch (error) {
    return { result: (error as NodeJS.ErrnoException).code ?? (error as Error).message, client }
  }
}

/**
 * Leaves a dead server's socket file at `path`: a child Node process (not the kata process) listens
 * there, its file writable by every user, and is killed with SIGKILL, so that nothing closes the
 * socket or removes the file. Resolves once the child has exited; returns the file's inode.
 */
export async function deadServerSocketFile(path: string): Promise<number> {
  const child = await childListening(path)
  child.process.kill('SIGKILL')
  await within(CHILD_EXIT_MS, "the test's helper process did not exit after SIGKILL", child.exited)
  return lstatSync(path).ino
}

/**
 * A live server on `path` too busy to take anyone: a child Node process listening with a backlog of 1,
 * stopped (SIGSTOP) so that it accepts nobody, its accept queue filled by the test's clients until
 * the kernel answers a connect with EAGAIN, as it then answers everyone's. Killed after the test.
 * Returns the file's inode and what the last connect got.
 */
export async function busyServerSocketFile(path: string): Promise<{ inode: number; lastConnect: string }> {
  const child = await childListening(path, 1)
  child.process.kill('SIGSTOP')
  let lastConnect = ''
  for (let attempt = 0; attempt < QUEUE_FILL_ATTEMPTS && lastConnect !== 'EAGAIN'; attempt++) {
    lastConnect = (await unixConnectionAttempt(path)).result
  }
  return { inode: lstatSync(path).ino, lastConnect }
}

/** Connections that fill a backlog of 1 (Linux queues backlog + 1), with room to spare. */
const QUEUE_FILL_ATTEMPTS = 8

/** A child Node process listening on `path` (its file writable by every user), killed after the test. */
async function childListening(path: string, backlog?: number): Promise<{ process: ReturnType<typeof spawn>; exited: Promise<void> }> {
  const script = `
    const net = require('node:net')
    const backlog = process.argv[2] ? Number(process.argv[2]) : undefined
    net.createServer().listen({ path: process.argv[1], backlog, readableAll: true, writableAll: true }, () => process.stdout.write('listening\\n'))
  `
  const child = spawn(process.execPath, ['-e', script, path, String(backlog ?? '')], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  closeAfterTest(() => {
    child.kill('SIGKILL')
    return exited
  })
  let output = ''
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const listening = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('listening')) resolve()
    })
    void exited.then(() => reject(new Error(`the test's helper process ended before it listened on ${path}: ${output.trim()}`)))
  })
  await within(CHILD_LISTENING_MS, `the test's helper process never listened on ${path}`, listening)
  return { process: child, exited }
}
