import net from 'node:net'

/**
 * Opens one connection to each target, all from exactly local.address:local.port, and resolves with
 * the sockets in the order of targets. With port 0, the first connection gets a port from the OS and
 * the others reuse it. Rejects with the first bind or connect error (EADDRINUSE from bind when a
 * listener holds that address and port; EADDRNOTAVAIL from connect when that 4-tuple is already
 * connected) and destroys every socket it opened.
 */
export function connectFromSamePort(local: { address: string; port: number }, targets: { host: string; port: number }[]): Promise<net.Socket[]> {
  throw new Error('Not implemented yet: write connectFromSamePort() in katas/14-four-tuple/four-tuple.ts (the lesson is katas/14-four-tuple/README.md)')
}
