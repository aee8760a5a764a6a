import { once } from 'node:events'
import net from 'node:net'

/**
 * Opens one connection to each target, all from exactly local.address:local.port, and resolves with
 * the sockets in the order of targets. With port 0, the first connection gets a port from the OS and
 * the others reuse it. Rejects with the first bind or connect error (EADDRINUSE from bind when a
 * listener holds that address and port; EADDRNOTAVAIL from connect when that 4-tuple is already
 * connected) and destroys every socket it opened.
 */
export async function connectFromSamePort(local: { address: string; port: number }, targets: { host: string; port: number }[]): Promise<net.Socket[]> {
  const sockets: net.Socket[] = []
  let localPort = local.port
  try {
    for (const { host, port } of targets) {
      // bind(local.address, localPort), then connect(): libuv sets SO_REUSEADDR before the bind.
      const socket = net.connect({ host, port, localAddress: local.address, localPort })
      sockets.push(socket)
      await once(socket, 'connect') // rejects with the socket's 'error' (bind or connect)
      localPort = socket.localPort! // port 0: the one the OS chose, for every connection after this one
    }
    return sockets
  } catch (error) {
    for (const socket of sockets) socket.destroy()
    throw error
  }
}
