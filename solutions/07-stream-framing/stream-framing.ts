import net from 'node:net'

const HEADER_BYTES = 4

/**
 * Yields each frame's payload, in order, as soon as its last byte has arrived. A frame is a 4-byte
 * unsigned big-endian length, then that many bytes; TCP may split or join them any way it likes.
 * Ends when the peer ends cleanly between frames; throws an Error with code 'ERR_FRAME_TRUNCATED'
 * when the stream ends inside a frame, and rethrows the socket's own error. Stopping the iteration
 * early (break, return()) destroys the socket.
 */
export async function* readFrames(socket: net.Socket): AsyncIterable<Buffer> {
  let pending = Buffer.alloc(0)
  // The socket's own iterator waits for data, ends at the peer's FIN and throws the socket's error; and
  // when the caller stops early, this generator's return() leaves the loop, which destroys the socket.
  for await (const chunk of socket as AsyncIterable<Buffer>) {
    pending = Buffer.concat([pending, chunk])
    while (pending.length >= HEADER_BYTES && pending.length >= HEADER_BYTES + pending.readUInt32BE(0)) {
      const frameEnd = HEADER_BYTES + pending.readUInt32BE(0)
      const payload = pending.subarray(HEADER_BYTES, frameEnd)
      pending = pending.subarray(frameEnd)
      yield payload
    }
  }
  if (pending.length > 0) {
    const error = new Error(`the stream ended inside a frame: ${pending.length} bytes of an unfinished frame were left over`)
    throw Object.assign(error, { code: 'ERR_FRAME_TRUNCATED' })
  }
}

/** Writes one frame: the payload's length as 4 bytes, unsigned big-endian, then the payload. Returns what socket.write() returned. */
export function writeFrame(socket: net.Socket, payload: Uint8Array): boolean {
  const header = Buffer.alloc(HEADER_BYTES)
  header.writeUInt32BE(payload.byteLength)
  return socket.write(Buffer.concat([header, payload]))
}
