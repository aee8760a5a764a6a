import net from 'node:net'

/**
 * Starts a TCP server listening on exactly `host`:`port`.
 *
 * Resolves with the server once it is listening. Rejects with the error the listen failed with
 * (its `code` says why: EADDRINUSE, EADDRNOTAVAIL, EACCES, ...), leaving nothing open.
 */
export function bind(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject) // a failed listen closes its own handle, so nothing is left open
    server.listen({ host, port }, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}
