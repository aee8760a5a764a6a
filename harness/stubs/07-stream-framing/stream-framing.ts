import net from 'node:net'

/**
 * Yields each frame's payload, in order, as soon as its last byte has arrived. A frame is a 4-byte
 * unsigned big-endian length, then that many bytes; TCP may split or join them any way it likes.
 * Ends when the peer ends cleanly between frames; throws an Error with code 'ERR_FRAME_TRUNCATED'
 * when the stream ends inside a frame, and rethrows the socket's own error. Stopping the iteration
 * early (break, return()) destroys the socket.
 */
export function readFrames(socket: net.Socket): AsyncIterable<Buffer> {
  throw new Error('Not implemented yet: write readFrames() in katas/07-stream-framing/stream-framing.ts (the lesson is katas/07-stream-framing/README.md)')
}

/** Writes one frame: the payload's length as 4 bytes, unsigned big-endian, then the payload. Returns what socket.write() returned. */
export function writeFrame(socket: net.Socket, payload: Uint8Array): boolean {
  throw new Error('Not implemented yet: write writeFrame() in katas/07-stream-framing/stream-framing.ts (the lesson is katas/07-stream-framing/README.md)')
}
