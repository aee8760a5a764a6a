import net from 'node:net'

/**
 * Client: connects to host:port, sends `body`, then half-closes (end(): shutdown(SHUT_WR), a FIN that
 * says the request is complete), and resolves with every byte the server sends until it closes its
 * side. Rejects with the socket's error (ECONNREFUSED, ECONNRESET, ...), leaving nothing open.
 */
export function request(host: string, port: number, body: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect({ host, port })
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    // After an error Node destroys the socket itself: nothing is left open, and 'close' follows.
    socket.on('error', reject)
    // 'close' comes once both directions are done: the server's FIN read ('end'), ours sent. After an
    // error it comes too, but the promise was rejected first, and a later resolve() changes nothing.
    socket.on('close', () => resolve(Buffer.concat(chunks)))
    // The body, then shutdown(SHUT_WR): our FIN tells the server the request is complete, and we keep reading.
    socket.end(body)
  })
}

/**
 * Server: listens on `host`, on a port the OS chooses, and resolves with the server once it listens.
 * For each connection it reads until the client's FIN, then answers with end(await transform(input)):
 * the whole reply, then its own FIN. When transform rejects, that connection is reset
 * (resetAndDestroy()). An error on one connection never reaches the server, which keeps serving other
 * clients.
 */
export function startEofServer(host: string, transform: (input: Buffer) => Promise<Buffer>): Promise<net.Server> {
  // allowHalfOpen: the client's FIN ends only its direction; ours stays open until we end() it.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = []
    socket.on('error', () => {}) // this connection's trouble (a client's reset) is its own: Node destroys the socket
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', async () => {
      try {
        // end(reply): Node sends every byte it holds, then the FIN.
        socket.end(await transform(Buffer.concat(chunks)))
      } catch {
        socket.resetAndDestroy() // an RST: the client sees ECONNRESET, never a reply that looks complete
      }
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}
