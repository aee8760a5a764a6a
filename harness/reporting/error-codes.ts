/** One line on the usual cause of each error code a socket program meets, for failures that teach. */
const ERROR_CODES: Record<string, string> = {
  EADDRINUSE: 'another socket already listens on that address and port (often a server from an earlier run, or a second listen on one port)',
  ECONNREFUSED: 'nothing listens on that address and port, so the kernel answered the SYN with a reset (RST)',
  EADDRNOTAVAIL: 'that address is not one of this host\'s, so no socket can be bound to it',
  EACCES: 'ports below 1024 need root (or CAP_NET_BIND_SERVICE); use a port of 1024 or more, or port 0',
  ETIMEDOUT: 'no answer came in time: the packets were dropped, not refused, and the wait ran out',
  EMSGSIZE: 'the datagram is larger than one packet can carry (65507 bytes of payload for UDP over IPv4)',
  ERR_SOCKET_BAD_PORT: 'the port is not a whole number from 0 to 65535 (0 asks the OS to choose one)',
  ECONNRESET: 'the other end aborted the connection with a reset (RST), for instance by destroying its socket',
  EPIPE: 'writing to a connection the other end has already closed',
  EINVAL: 'an argument the kernel rejects, such as a udp4 socket sending to an IPv6 address',
  EHOSTUNREACH: 'no route to that host: the network said it cannot be reached',
  ERR_SOCKET_DGRAM_NOT_RUNNING: 'using a UDP socket after it was closed',
  ERR_STREAM_WRITE_AFTER_END: 'writing to a socket after end() was called on it',
  ERR_SERVER_NOT_RUNNING: 'closing a server that is not listening',
}

/** The codes a text mentions, each with its explanation, in order of first mention. */
export function explainCodes(text: string): { code: string; cause: string }[] {
  const seen = new Set<string>()
  for (const [match] of text.matchAll(/\b(E[A-Z]{3,}|ERR_[A-Z_]+)\b/g)) if (ERROR_CODES[match]) seen.add(match)
  return [...seen].map((code) => ({ code, cause: ERROR_CODES[code]! }))
}
