import net from 'node:net'

/**
 * Writes every chunk in order, taking the next chunk only when the socket can accept it, so that Node's
 * buffer never holds more than writableHighWaterMark + one chunk; resolves with the total bytes once
 * the socket has accepted every chunk (the last write() returned true, or the 'drain' after it came);
 * rejects with the socket's error (EPIPE, ECONNRESET, ..., or the one already in socket.errored), or
 * with code ERR_SOCKET_CLOSED if the socket closes first, and then closes the chunk iterator; no
 * socket error goes unhandled while it runs.
 */
export async function writeAll(socket: net.Socket, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
  if (socket.destroyed) throw socket.errored ?? closedError()
  // Listening from the start, for the whole run: an error can come while we wait for a chunk, not only for
  // 'drain'. We give up on 'close', which Node emits after 'error': by then the error has been handled here.
  let failure: Error | undefined
  let closed = false
  let wake = () => {}
  const onError = (error: Error) => void (failure ??= error)
  const onDrain = () => wake()
  const onClose = () => {
    closed = true
    wake()
  }
  socket.on('error', onError).on('drain', onDrain).on('close', onClose)
  /** The next 'drain' or 'close'; throws if it was 'close'. */
  const accepted = async () => {
    if (!closed) await new Promise<void>((resolve) => (wake = resolve))
    if (closed) throw failure ?? closedError()
  }
  try {
    let total = 0
    // for await takes sync iterables too, and closes the iterator (return()) when the loop throws.
    // A socket that died while we waited for a chunk takes nothing: its write() returns false, and accepted() throws.
    for await (const chunk of chunks) {
      total += chunk.byteLength
      if (!socket.write(chunk)) await accepted()
    }
    return total
  } finally {
    socket.off('error', onError).off('drain', onDrain).off('close', onClose)
  }
}

function closedError(): Error {
  return Object.assign(new Error('the socket closed before every chunk was written'), { code: 'ERR_SOCKET_CLOSED' })
}
