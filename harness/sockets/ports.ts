/**
 * Ports proven free just before use, for the few tests that must name a port before anything
 * listens on it. Everything else listens on port 0. Candidates are drawn at random from below every
 * OS's ephemeral range, so no port-0 listener of a parallel test can be handed the same port.
 */
import dgram from 'node:dgram'
import net from 'node:net'
import getPort from 'get-port'

const CANDIDATES = { low: 20000, high: 32000, count: 20 }

function randomCandidates(): number[] {
  const span = CANDIDATES.high - CANDIDATES.low
  return Array.from({ length: CANDIDATES.count }, () => CANDIDATES.low + Math.floor(Math.random() * span))
}

/** A TCP port nothing listens on at `host` right now. */
export function freeTcpPort(host: string): Promise<number> {
  return getPort({ host, port: randomCandidates() })
}

/** A UDP port nothing is bound to at `host` right now. */
export async function freeUdpPort(host: string): Promise<number> {
  for (const port of randomCandidates()) {
    if (await udpPortIsFree(host, port)) return port
  }
  throw new Error(`no free UDP port found on ${host} among ${CANDIDATES.count} tries`)
}

function udpPortIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4')
    probe.once('error', () => probe.close(() => resolve(false)))
    probe.bind(port, host, () => probe.close(() => resolve(true)))
  })
}

/**
 * Runs `attempt` with a free TCP port, again with another one if it fails with EADDRINUSE: someone
 * else may take a free port between the check and the bind.
 */
export async function withFreeTcpPort<T>(host: string, attempt: (port: number) => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    const port = await freeTcpPort(host)
    try {
      return await attempt(port)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || tries === 3) throw error
    }
  }
}
