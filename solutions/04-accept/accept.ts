import net from 'node:net'

/** A client the server accepted: the server's end of the connection, and who is at the other end. */
export interface Accepted {
  socket: net.Socket
  remoteAddress: string
  remotePort: number
}

/**
 * Waits for the next client of `server`, which is already listening, and resolves with it.
 * The server keeps listening for further clients. Rejects with the server's error if it reports one
 * meanwhile (an accept() that failed: EMFILE, ...). Either way, leaves no listener of its own behind.
 */
export function acceptOne(server: net.Server): Promise<Accepted> {
  return new Promise((resolve, reject) => {
    const onConnection = (socket: net.Socket) => {
      server.off('error', onError)
      resolve({ socket, remoteAddress: socket.remoteAddress!, remotePort: socket.remotePort! })
    }
    const onError = (error: Error) => {
      server.off('connection', onConnection)
      reject(error)
    }
    server.once('connection', onConnection)
    server.once('error', onError)
  })
}
