import dgram from 'node:dgram'

/**
 * Sends `payload` to `host`:`port` as one UDP datagram, waits for no reply, and closes its socket.
 *
 * Resolves with the number of bytes sent. Rejects with the send error (EMSGSIZE, ...), after
 * closing the socket. Works for IPv4 and IPv6 hosts alike.
 */
export function fireAndForget(host: string, port: number, payload: string | Uint8Array): Promise<number> {
  throw new Error(
    'Not implemented yet: write fireAndForget() in katas/06-udp-fire-and-forget/udp-fire-and-forget.ts ' +
      '(the lesson is katas/06-udp-fire-and-forget/README.md)',
  )
}
