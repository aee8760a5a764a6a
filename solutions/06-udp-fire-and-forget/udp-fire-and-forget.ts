import dgram from 'node:dgram'
import net from 'node:net'

/**
 * Sends `payload` to `host`:`port` as one UDP datagram, waits for no reply, and closes its socket.
 *
 * Resolves with the number of bytes sent. Rejects with the send error (EMSGSIZE, ...), after
 * closing the socket. Works for IPv4 and IPv6 hosts alike.
 */
export function fireAndForget(host: string, port: number, payload: string | Uint8Array): Promise<number> {
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4') // the family follows the address
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (error: Error | null, bytes = 0) => {
      if (settled) return // a failed implicit bind is an 'error' event, and the send then never completes
      settled = true
      socket.close()
      if (error) reject(error)
      else resolve(bytes)
    }
    socket.once('error', finish)
    socket.send(payload, port, host, finish)
  })
}
