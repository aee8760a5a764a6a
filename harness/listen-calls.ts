/**
 * What a program asked `server.listen()` for. The kernel cannot tell a port the OS chose from one
 * the program picked and passed in, so the port-zero kata watches the call itself.
 */
import net from 'node:net'

export interface ListenCall {
  server: net.Server
  /** The port asked for: 0 when omitted, which hands the choice to the OS. */
  requestedPort: number
  requestedHost: string | undefined
}

/** Runs `body`, recording every net.Server#listen call made meanwhile, in order. */
export async function recordListenCalls<T>(body: () => Promise<T>): Promise<{ result: T; calls: ListenCall[] }> {
  const calls: ListenCall[] = []
  const original = net.Server.prototype.listen
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    calls.push({ server: this, ...requestOf(args) })
    return (original as (...a: unknown[]) => net.Server).apply(this, args)
  } as typeof original
  try {
    return { result: await body(), calls }
  } finally {
    net.Server.prototype.listen = original
  }
}

/** The port and host in any of listen()'s call shapes: (port, host, ...), (options, cb), (cb), (). */
export function requestOf(args: unknown[]): Omit<ListenCall, 'server'> {
  const [first, second] = args
  if (first !== null && typeof first === 'object') {
    const options = first as net.ListenOptions
    return { requestedPort: Number(options.port ?? 0), requestedHost: options.host }
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { requestedPort: Number(first), requestedHost: typeof second === 'string' ? second : undefined }
  }
  return { requestedPort: 0, requestedHost: undefined }
}
