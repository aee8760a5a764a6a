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
export async function listenShared(host: string, port: number, count: number): Promise<net.Server[]> {
  const servers: net.Server[] = []
  try {
    for (let i = 0; i < count; i++) {
      // Port 0 only for the first: the others must join the port the OS gave it.
      const shared = i === 0 ? port : (servers[0]!.address() as net.AddressInfo).port
      servers.push(await listen(host, shared))
    }
    return servers
  } catch (error) {
    for (const server of servers) server.close()
    throw error
  }
}

/** One server on host:port with SO_REUSEPORT; rejects with the listen error (a failed listen leaves nothing open). */
function listen(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen({ host, port, reusePort: true }, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}
