import net from 'node:net'

/**
 * Starts a TCP server on `host`, on a port the operating system chooses.
 *
 * Resolves once the server is listening, with the server and the port the OS gave it. Rejects with
 * the error the listen failed with (EADDRNOTAVAIL, ...), leaving nothing open.
 */
export function listenOnAnyPort(host: string): Promise<{ server: net.Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen({ host, port: 0 }, () => {
      server.off('error', reject)
      const { port } = server.address() as net.AddressInfo
      resolve({ server, port })
    })
  })
}
