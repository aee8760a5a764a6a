import net from 'node:net'

/**
 * Connects to `host`:`port` and resolves with the connected socket, tuned for a conversation of small
 * messages over a connection that may sit idle: Nagle's algorithm off (each small write leaves at once),
 * and TCP keepalive on, its first probe after `idleMs` of silence. `idleMs` is a whole number of
 * seconds, at least 1000 (the kernel counts TCP_KEEPIDLE in seconds). Rejects with the connect error
 * (ECONNREFUSED, ...) when no connection is made.
 */
export function connectTuned(host: string, port: number, idleMs: number): Promise<net.Socket> {
  throw new Error('Not implemented yet: write connectTuned() in katas/15-nodelay-keepalive/nodelay-keepalive.ts (the lesson is katas/15-nodelay-keepalive/README.md)')
}
