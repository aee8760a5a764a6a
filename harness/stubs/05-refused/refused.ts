import net from 'node:net'

/** How a connection attempt ended: a connected socket, or the error code that says why not. */
export type ConnectResult = { ok: true; socket: net.Socket } | { ok: false; code: string }

/**
 * Tries to connect to `host`:`port`, giving up after `timeoutMs`.
 *
 * Never throws or rejects for network trouble: resolves with `{ ok: false, code }`, where `code` is
 * the error's code (ECONNREFUSED, ...) or 'ETIMEDOUT' when no connection was made within
 * `timeoutMs`. After a failure, nothing is left open.
 */
export function tryConnect(host: string, port: number, timeoutMs: number): Promise<ConnectResult> {
  throw new Error('Not implemented yet: write tryConnect() in katas/05-refused/refused.ts (the lesson is katas/05-refused/README.md)')
}
