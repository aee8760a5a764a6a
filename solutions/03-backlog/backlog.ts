import net from 'node:net'

/**
 * Starts a TCP server on `host`, on any port, whose accept queue the kernel sizes for `backlog`
 * connections: the ones that have finished the handshake but that the program has not accepted yet.
 *
 * Resolves with the server once it is listening. Rejects with the error the listen failed with
 * (EADDRNOTAVAIL, ...), leaving nothing open.
 */
export function listenWithBacklog(host: string, backlog: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen({ host, port: 0, backlog }, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}
