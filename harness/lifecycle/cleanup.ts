/**
 * Everything a test opens in the test process, closed when the test ends, pass or fail: its servers
 * (with every connection they accepted), clients, UDP sockets and helper threads. What the learner's
 * code holds, in its kata process, is released and checked after this (see socket-test-setup.ts).
 */
import dgram from 'node:dgram'
import net from 'node:net'
import { Worker } from 'node:worker_threads'

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

/** Closes what the test registered. */
export async function closeEverythingOwned(): Promise<void> {
  for (const resource of owned.splice(0).reverse()) await close(resource)
}

async function close(resource: Closable): Promise<void> {
  try {
    if (resource instanceof Worker) await resource.terminate()
    else if (typeof resource === 'function') await resource()
    else if (resource instanceof net.Server) resource.close()
    else if (resource instanceof net.Socket) resource.destroy()
    else resource.close()
  } catch {
    // already closed
  }
}
