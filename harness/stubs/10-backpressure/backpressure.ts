import net from 'node:net'

/**
 * Writes every chunk in order, taking the next chunk only when the socket can accept it, so that Node's
 * buffer never holds more than writableHighWaterMark + one chunk; resolves with the total bytes once
 * the socket has accepted every chunk (the last write() returned true, or the 'drain' after it came);
 * rejects with the socket's error (EPIPE, ECONNRESET, ..., or the one already in socket.errored), or
 * with code ERR_SOCKET_CLOSED if the socket closes first, and then closes the chunk iterator; no
 * socket error goes unhandled while it runs.
 */
export function writeAll(socket: net.Socket, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
  throw new Error('Not implemented yet: write writeAll() in katas/10-backpressure/backpressure.ts (the lesson is katas/10-backpressure/README.md)')
}
