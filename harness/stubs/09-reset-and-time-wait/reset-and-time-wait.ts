import net from 'node:net'

/**
 * Closes gracefully: sends a FIN (end()), reads and discards whatever the peer still sends, and
 * resolves on 'close', once the peer's FIN has come too. Rejects with the socket's error (ECONNRESET)
 * if one comes first. The caller bounds the wait.
 */
export function closeGracefully(socket: net.Socket): Promise<void> {
  throw new Error('Not implemented yet: write closeGracefully() in katas/09-reset-and-time-wait/reset-and-time-wait.ts (the lesson is katas/09-reset-and-time-wait/README.md)')
}

/** Aborts: an RST instead of a FIN. The peer sees ECONNRESET, and no TIME-WAIT is left on this side. */
export function abort(socket: net.Socket): void {
  throw new Error('Not implemented yet: write abort() in katas/09-reset-and-time-wait/reset-and-time-wait.ts (the lesson is katas/09-reset-and-time-wait/README.md)')
}

/**
 * Reads and discards what the peer sends, and resolves once the socket has closed: 'rst' if its first
 * error was ECONNRESET; { error: code } for any other first error (EPIPE: this side wrote after the peer
 * had closed); otherwise 'fin' if the peer's FIN arrived; { error: 'ERR_SOCKET_CLOSED' } if this side
 * closed first.
 */
export function howItEnded(socket: net.Socket): Promise<'fin' | 'rst' | { error: string }> {
  throw new Error('Not implemented yet: write howItEnded() in katas/09-reset-and-time-wait/reset-and-time-wait.ts (the lesson is katas/09-reset-and-time-wait/README.md)')
}
