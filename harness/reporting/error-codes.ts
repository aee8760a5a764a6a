/**
 * One line on the usual cause of each error a socket program meets, for failures that teach: the
 * error codes of the kernel and of Node, and the bare JavaScript errors a socket mistake causes.
 */
const ERROR_CODES: Record<string, string> = {
  EADDRINUSE: 'another socket already listens on that address and port (often a server from an earlier run, or a second listen on one port)',
  ECONNREFUSED: 'nothing listens on that address and port, so the kernel answered the SYN with a reset (RST)',
  EADDRNOTAVAIL: 'that address is not one of this host\'s, so no socket can be bound to it',
  EACCES: 'ports below 1024 need root (or CAP_NET_BIND_SERVICE); use a port of 1024 or more, or port 0',
  ETIMEDOUT: 'no answer came in time: the packets were dropped, not refused, and the wait ran out',
  EMSGSIZE: 'the datagram is larger than one UDP datagram can carry (65507 bytes of payload over IPv4, 65527 over IPv6)',
  EMFILE: 'the process has no free file descriptor left (every socket takes one): close the sockets you no longer need',
  ENETUNREACH: 'the kernel has no route that can carry this connection (a TCP connect to a broadcast address is one)',
  ERR_SOCKET_BAD_PORT: 'the port is not a whole number from 0 to 65535 (0 asks the OS to choose one)',
  ECONNRESET: 'the other end aborted the connection with a reset (RST), for instance by destroying its socket',
  EPIPE: 'writing to a connection the other end has already closed',
  EINVAL:
    'an argument that cannot work; from a UDP send, usually a udp4 socket given an IPv6 address, which Node refuses itself before any ' +
    'sendmsg() reaches the kernel (the kernel would say EAFNOSUPPORT): create the socket for the destination\'s family',
  EHOSTUNREACH: 'no route to that host: the network said it cannot be reached',
  ERR_SOCKET_DGRAM_NOT_RUNNING: 'using a UDP socket after it was closed',
  ERR_SOCKET_ALREADY_BOUND: 'bind() on a UDP socket that is already bound (a send binds it too, to port 0)',
  ERR_SERVER_ALREADY_LISTEN: 'listen() on a server that is already listening: one server, one listen()',
  ERR_STREAM_WRITE_AFTER_END: 'writing to a socket after end() was called on it',
  ERR_STREAM_DESTROYED: 'writing to a socket after it was destroyed',
  ERR_SERVER_NOT_RUNNING: 'closing a server that is not listening',
}

/** Bare JavaScript errors, as their message reads, that a socket mistake causes. */
const JAVASCRIPT_ERRORS: { pattern: RegExp; label: string; cause: string }[] = [
  {
    pattern: /Cannot read propert(?:y|ies) of null \(reading '(?:port|address|family)'\)/,
    label: 'TypeError',
    cause:
      "server.address() is null while the server is not listening: before 'listening' (listen() with a host binds later, not " +
      'when it returns) and after close(). Read it in the listen() callback or on the \'listening\' event',
  },
]

/** The errors a text mentions, each with its explanation: error codes in order of first mention, then JavaScript errors. */
export function explainCodes(text: string): { code: string; cause: string }[] {
  const seen = new Set<string>()
  for (const [match] of text.matchAll(/\b(E[A-Z]{3,}|ERR_[A-Z_]+)\b/g)) if (ERROR_CODES[match]) seen.add(match)
  const codes = [...seen].map((code) => ({ code, cause: ERROR_CODES[code]! }))
  const javascript = JAVASCRIPT_ERRORS.filter(({ pattern }) => pattern.test(text)).map(({ label, cause }) => ({ code: label, cause }))
  return [...codes, ...javascript]
}
