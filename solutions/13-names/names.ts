import net from 'node:net'

/** How connecting to a name ended: a socket and the address it connected to, or every attempt and why it failed. */
export type NamedConnect =
  | { ok: true; socket: net.Socket; address: string }
  | { ok: false; attempts: { address: string; code: string }[] }

/**
 * Connects to `name`:`port`. Resolves the name with `options.lookup`, asking for all its addresses
 * (the lookup's time counts against `timeoutMs`), then tries them one after another, in the order the
 * lookup returned them, each attempt getting an equal share of the time left: what remains of
 * `timeoutMs` divided by the addresses not yet tried. Never rejects for network trouble: an attempt
 * that fails is `{ address, code }` (ETIMEDOUT when its share ran out); a lookup that fails, or is
 * still pending at `timeoutMs` (ETIMEDOUT), is the one attempt `{ address: name, code }`; a lookup
 * that finds no address gives `attempts: []`. Nothing is left open but the socket it resolves with.
 */
export async function connectByName(
  name: string,
  port: number,
  options: { lookup: net.LookupFunction; timeoutMs: number },
): Promise<NamedConnect> {
  const deadline = performance.now() + options.timeoutMs
  const resolved = await resolveAll(name, options.lookup, options.timeoutMs)
  if ('code' in resolved) return { ok: false, attempts: [{ address: name, code: resolved.code }] }
  const attempts: { address: string; code: string }[] = []
  for (const [i, address] of resolved.addresses.entries()) {
    const share = (deadline - performance.now()) / (resolved.addresses.length - i)
    const result = await tryConnect(address, port, Math.max(0, share))
    if (result.ok) return { ok: true, socket: result.socket, address }
    attempts.push({ address, code: result.code })
  }
  return { ok: false, attempts }
}

/** Every address of `name`, in the lookup's order, or the code of why not (ETIMEDOUT after `timeoutMs`). */
function resolveAll(name: string, lookup: net.LookupFunction, timeoutMs: number): Promise<{ addresses: string[] } | { code: string }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ code: 'ETIMEDOUT' }), timeoutMs)
    lookup(name, { all: true }, (error, found) => {
      clearTimeout(timer)
      if (error) resolve({ code: error.code ?? 'EUNKNOWN' })
      else resolve({ addresses: Array.isArray(found) ? found.map((entry) => entry.address) : [found] })
    })
  })
}

/** Kata 05's tryConnect(): one address, its own deadline; a failed attempt is destroyed. */
function tryConnect(host: string, port: number, timeoutMs: number): Promise<{ ok: true; socket: net.Socket } | { ok: false; code: string }> {
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
