import net from 'node:net'

/**
 * Starts a TCP server listening on exactly `host`:`port`.
 *
 * Resolves with the server once it is listening. Rejects with the error the listen failed with
 * (its `code` says why: EADDRINUSE, EADDRNOTAVAIL, EACCES, ...), leaving nothing open.
 */
export function bind(host: string, port: number): Promise<net.Server> {
  throw new Error('Not implemented yet: write bind() in katas/01-bind/bind.ts (the lesson is katas/01-bind/README.md)')
}
