import net from 'node:net'

/**
 * Starts `count` TCP servers listening on exactly `host`:`port`, all at once, each with SO_REUSEPORT
 * (`listen({ reusePort: true })`, Node 22.12 or later), so that the kernel spreads new connections
 * over them. With port 0 the first gets a port from the OS and the rest listen on that same port.
 *
 * Resolves with the servers, in the order they started listening, once every one is listening.
 * Rejects with the error a listen failed with (its `code` says why: EADDRINUSE, EMFILE, ...), after
 * closing every server it had already opened: on failure, nothing is left listening.
 */
export function listenShared(host: string, port: number, count: number): Promise<net.Server[]> {
  throw new Error('Not implemented yet: write listenShared() in katas/17-reuse-port/reuse-port.ts (the lesson is katas/17-reuse-port/README.md)')
}
