import net from 'node:net'

/**
 * Client: connects to host:port, sends `body`, then half-closes (end(): shutdown(SHUT_WR), a FIN that
 * says the request is complete), and resolves with every byte the server sends until it closes its
 * side. Rejects with the socket's error (ECONNREFUSED, ECONNRESET, ...), leaving nothing open.
 */
export function request(host: string, port: number, body: Uint8Array): Promise<Buffer> {
  throw new Error('Not implemented yet: write request() in katas/08-half-close/half-close.ts (the lesson is katas/08-half-close/README.md)')
}

/**
 * Server: listens on `host`, on a port the OS chooses, and resolves with the server once it listens.
 * For each connection it reads until the client's FIN, then answers with end(await transform(input)):
 * the whole reply, then its own FIN. When transform rejects, that connection is reset
 * (resetAndDestroy()). An error on one connection never reaches the server, which keeps serving other
 * clients.
 */
export function startEofServer(host: string, transform: (input: Buffer) => Promise<Buffer>): Promise<net.Server> {
  throw new Error('Not implemented yet: write startEofServer() in katas/08-half-close/half-close.ts (the lesson is katas/08-half-close/README.md)')
}
