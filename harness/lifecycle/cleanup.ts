/**
 * Everything a test opens, closed when the test ends, pass or fail. What the test owns is closed
 * here first; whatever is still open afterwards was opened by the code under test (see setup).
 */
import dgram from 'node:dgram'
import net from 'node:net'
import { Worker } from 'node:worker_threads'
import { acceptedBy, forceClose, openSockets } from '../open-sockets.ts'

type Closable = net.Server | net.Socket | dgram.Socket | Worker | (() => unknown)

const owned: Closable[] = []
const ownedByFile: Closable[] = []

/** Registers `resource` to be closed after the current test and hands it back. */
export function closeAfterTest<T extends Closable>(resource: T): T {
  owned.push(resource)
  return resource
}

/** Registers `resource`, shared by the tests of one file, to be closed once they have all run. */
export function closeAfterFile<T extends Closable>(resource: T): T {
  ownedByFile.push(resource)
  return resource
}

export async function closeEverythingOwnedByFile(): Promise<void> {
  for (const resource of ownedByFile.splice(0).reverse()) await close(resource)
}

/** What the test registered so far (for a look at its sockets when it fails). */
export function ownedResources(): readonly Closable[] {
  return owned
}

/** Closes what the test registered, and every connection its servers accepted. */
export async function closeEverythingOwned(): Promise<void> {
  const resources = owned.splice(0).reverse()
  const servers = new Set(resources.filter((r): r is net.Server => r instanceof net.Server))
  for (const socket of openSockets()) {
    if (socket instanceof net.Socket && servers.has(acceptedBy(socket)!)) socket.destroy()
  }
  for (const resource of resources) await close(resource)
}

async function close(resource: Closable): Promise<void> {
  if (resource instanceof Worker) await resource.terminate()
  else if (typeof resource === 'function') await resource()
  else forceClose(resource)
}
