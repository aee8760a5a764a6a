import net from 'node:net'

/**
 * Closes gracefully: sends a FIN (end()), reads and discards whatever the peer still sends, and
 * resolves on 'close', once the peer's FIN has come too. Rejects with the socket's error (ECONNRESET)
 * if one comes first. The caller bounds the wait.
 */
export function closeGracefully(socket: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject) // an error comes before 'close': the promise settles with it
    socket.once('close', () => resolve())
    socket.resume() // bytes nobody reads hold back 'end', and with it 'close'
    socket.end()
  })
}

/** Aborts: an RST instead of a FIN. The peer sees ECONNRESET, and no TIME-WAIT is left on this side. */
export function abort(socket: net.Socket): void {
  socket.resetAndDestroy() // SO_LINGER {1, 0}, then close(): the kernel sends an RST and forgets the connection
}

/**
 * Reads and discards what the peer sends, and resolves once the socket has closed: 'rst' if its first
 * error was ECONNRESET; { error: code } for any other first error (EPIPE: this side wrote after the peer
 * had closed); otherwise 'fin' if the peer's FIN arrived; { error: 'ERR_SOCKET_CLOSED' } if this side
 * closed first.
 */
export function howItEnded(socket: net.Socket): Promise<'fin' | 'rst' | { error: string }> {
  return new Promise((resolve) => {
    let firstError: NodeJS.ErrnoException | undefined
    let finArrived = false
    socket.on('error', (error: NodeJS.ErrnoException) => (firstError ??= error))
    socket.once('end', () => (finArrived = true))
    socket.once('close', () => {
      if (firstError) resolve(firstError.code === 'ECONNRESET' ? 'rst' : { error: firstError.code ?? firstError.message })
      else resolve(finArrived ? 'fin' : { error: 'ERR_SOCKET_CLOSED' })
    })
    socket.resume()
  })
}
