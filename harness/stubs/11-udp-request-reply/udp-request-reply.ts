import dgram from 'node:dgram'

/**
 * Binds a UDP socket to `host`, any port, and echoes every datagram it receives: the same bytes, sent
 * back from this same socket to the exact address and port they came from. Resolves with the socket
 * once it is bound; rejects with the bind error. Works for IPv4 and IPv6 hosts alike.
 */
export function startUdpEcho(host: string): Promise<dgram.Socket> {
  throw new Error('Not implemented yet: write startUdpEcho() in katas/11-udp-request-reply/udp-request-reply.ts (the lesson is katas/11-udp-request-reply/README.md)')
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
  throw new Error('Not implemented yet: write udpRequest() in katas/11-udp-request-reply/udp-request-reply.ts (the lesson is katas/11-udp-request-reply/README.md)')
}
