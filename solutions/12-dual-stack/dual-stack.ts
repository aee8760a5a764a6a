import net from 'node:net'

/** How many ports listenPerFamily(0) tries before it gives up. */
const TRIES = 5

/**
 * Starts one TCP server on '::', IPv6's wildcard, that accepts IPv4 and IPv6 clients alike (an IPv4
 * client arrives as an IPv4-mapped address, ::ffff:a.b.c.d). Port 0 lets the OS choose. Resolves with
 * the server once it is listening.
 */
export function listenDualStack(port: number): Promise<net.Server> {
  return listen({ host: '::', port, ipv6Only: false }) // false is Node's default: IPV6_V6ONLY off
}

/**
 * Starts two TCP servers on one port: `v4` on '0.0.0.0' first, then `v6` on '::' with ipv6Only, on the
 * port v4 got. With port 0 the OS chooses; if '::' is taken on that port, both are closed and another
 * port is tried, a few times (3 tries at least, 10 at most). On failure, rejects with the listen error
 * and leaves nothing listening.
 */
export async function listenPerFamily(port: number): Promise<{ v6: net.Server; v4: net.Server }> {
  for (let tries = 1; ; tries++) {
    const v4 = await listen({ host: '0.0.0.0', port })
    try {
      const v6 = await listen({ host: '::', port: (v4.address() as net.AddressInfo).port, ipv6Only: true })
      return { v6, v4 }
    } catch (error) {
      v4.close()
      const another = port === 0 && tries < TRIES && (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
      if (!another) throw error
    }
  }
}

/**
 * The peer of a connected socket, while it is open, as the application should log it: an IPv4-mapped
 * address ('::ffff:127.0.0.1', what a dual-stack server sees of an IPv4 client) is the IPv4 address it
 * maps ('127.0.0.1', family 'IPv4').
 */
export function peerOf(socket: net.Socket): { address: string; family: 'IPv4' | 'IPv6' } {
  const address = socket.remoteAddress ?? ''
  const mapped = address.toLowerCase().startsWith('::ffff:') ? address.slice('::ffff:'.length) : undefined
  if (mapped && net.isIPv4(mapped)) return { address: mapped, family: 'IPv4' }
  return { address, family: net.isIPv4(address) ? 'IPv4' : 'IPv6' }
}

function listen(options: net.ListenOptions): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject) // a failed listen leaves nothing open
    server.listen(options, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}
