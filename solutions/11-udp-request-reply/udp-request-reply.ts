import dgram from 'node:dgram'
import net from 'node:net'

/**
 * Binds a UDP socket to `host`, any port, and echoes every datagram it receives: the same bytes, sent
 * back from this same socket to the exact address and port they came from. Resolves with the socket
 * once it is bound; rejects with the bind error. Works for IPv4 and IPv6 hosts alike.
 */
export function startUdpEcho(host: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4')
  socket.on('message', (datagram, from) => {
    // recvfrom() said who sent it; sendto() that exact address and port, from the socket it reached.
    // A reply that cannot go out is lost, as any datagram may be: the callback keeps it from becoming an 'error' event.
    socket.send(datagram, from.port, from.address, () => {})
  })
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => {
      socket.close()
      reject(error)
    }
    socket.once('error', failed)
    socket.bind(0, host, () => {
      socket.off('error', failed)
      resolve(socket)
    })
  })
}

/** What udpRequest() resolves with: the reply, or the code that says why there is none. */
export type UdpReply = { ok: true; reply: Buffer } | { ok: false; code: string }

/**
 * Sends `payload` to host:port as one datagram, and resolves with the first reply from exactly that
 * address and port. Never rejects for network trouble: { ok: false, code: 'ECONNREFUSED' } when the
 * kernel reports the port closed, { ok: false, code: 'ETIMEDOUT' } when no reply has come after
 * timeoutMs, and { ok: false, code } with the error's own code for any other send or socket error.
 * Whatever the outcome, its socket is closed and its timer cleared by the time it resolves.
 */
export function udpRequest(host: string, port: number, payload: Uint8Array, timeoutMs: number): Promise<UdpReply> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4')
    let settled = false
    const finish = (result: UdpReply) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.close()
      resolve(result)
    }
    const failed = (error: NodeJS.ErrnoException) => finish({ ok: false, code: error.code ?? 'EUNKNOWN' })
    const timer = setTimeout(() => finish({ ok: false, code: 'ETIMEDOUT' }), timeoutMs)
    // Connected, the socket gets only host:port's datagrams (the kernel drops the rest), and the
    // ICMP port unreachable a closed port answers with, as an 'error' event: ECONNREFUSED.
    socket.on('message', (reply) => finish({ ok: true, reply }))
    socket.on('error', failed)
    socket.connect(port, host, (error?: Error) => {
      if (error) return failed(error)
      socket.send(payload, (sendError) => {
        if (sendError) failed(sendError)
      })
    })
  })
}
