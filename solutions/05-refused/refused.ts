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
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const fail = (code: string) => {
      clearTimeout(timer)
      socket.destroy() // abandons the attempt: no SYN-SENT socket stays behind
      resolve({ ok: false, code })
    }
    const onError = (error: NodeJS.ErrnoException) => fail(error.code ?? 'EUNKNOWN')
    const timer = setTimeout(() => fail('ETIMEDOUT'), timeoutMs)
    socket.once('error', onError)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.off('error', onError) // from here on, errors are the caller's to handle
      resolve({ ok: true, socket })
    })
  })
}
