import net from 'node:net'

/**
 * Connects to `host`:`port` and resolves with the connected socket, tuned for a conversation of small
 * messages over a connection that may sit idle: Nagle's algorithm off (each small write leaves at once),
 * and TCP keepalive on, its first probe after `idleMs` of silence. `idleMs` is a whole number of
 * seconds, at least 1000 (the kernel counts TCP_KEEPIDLE in seconds). Rejects with the connect error
 * (ECONNREFUSED, ...) when no connection is made.
 */
export function connectTuned(host: string, port: number, idleMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // Node applies both options to the new socket once it connects (TCP_NODELAY; SO_KEEPALIVE, TCP_KEEPIDLE).
    const socket = net.connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: idleMs })
    socket.once('error', reject) // a failed connect destroys the socket: nothing is left open
    socket.once('connect', () => {
      socket.off('error', reject) // from here on, errors are the caller's
      resolve(socket)
    })
  })
}
