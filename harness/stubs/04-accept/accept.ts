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
  throw new Error('Not implemented yet: write acceptOne() in katas/04-accept/accept.ts (the lesson is katas/04-accept/README.md)')
}
