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
export function connectByName(
  name: string,
  port: number,
  options: { lookup: net.LookupFunction; timeoutMs: number },
): Promise<NamedConnect> {
  throw new Error('Not implemented yet: write connectByName() in katas/13-names/names.ts (the lesson is katas/13-names/README.md)')
}
