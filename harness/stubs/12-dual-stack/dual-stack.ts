import net from 'node:net'

/**
 * Starts one TCP server on '::', IPv6's wildcard, that accepts IPv4 and IPv6 clients alike (an IPv4
 * client arrives as an IPv4-mapped address, ::ffff:a.b.c.d). Port 0 lets the OS choose. Resolves with
 * the server once it is listening.
 */
export function listenDualStack(port: number): Promise<net.Server> {
  throw new Error('Not implemented yet: write listenDualStack() in katas/12-dual-stack/dual-stack.ts (the lesson is katas/12-dual-stack/README.md)')
}

/**
 * Starts two TCP servers on one port: `v4` on '0.0.0.0' first, then `v6` on '::' with ipv6Only, on the
 * port v4 got. With port 0 the OS chooses; if '::' is taken on that port, both are closed and another
 * port is tried, a few times (3 tries at least, 10 at most). On failure, rejects with the listen error
 * and leaves nothing listening.
 */
export function listenPerFamily(port: number): Promise<{ v6: net.Server; v4: net.Server }> {
  throw new Error('Not implemented yet: write listenPerFamily() in katas/12-dual-stack/dual-stack.ts (the lesson is katas/12-dual-stack/README.md)')
}

/**
 * The peer of a connected socket, while it is open, as the application should log it: an IPv4-mapped
 * address ('::ffff:127.0.0.1', what a dual-stack server sees of an IPv4 client) is the IPv4 address it
 * maps ('127.0.0.1', family 'IPv4').
 */
export function peerOf(socket: net.Socket): { address: string; family: 'IPv4' | 'IPv6' } {
  throw new Error('Not implemented yet: write peerOf() in katas/12-dual-stack/dual-stack.ts (the lesson is katas/12-dual-stack/README.md)')
}
