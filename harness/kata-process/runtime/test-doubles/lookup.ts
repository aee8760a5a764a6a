/**
 * Kata 13's name resolver: the `lookup` connectByName(name, port, { lookup, timeoutMs }) is given, made
 * in the kata process so that the learner's code can call it there. It answers as dns.lookup would,
 * from a script instead of /etc/hosts and DNS: a list of addresses in the order given (all of them
 * when asked with { all: true }, else the first alone, and only those of the family asked for, as
 * dns.lookup does), an error with a code
 * (ENOTFOUND), or nothing until the test releases it (control('release')), or never. It records every
 * call: the name, and whether all the addresses were asked for. It makes no verdict: the test's own
 * servers and the kernel say where the learner's code connected.
 */
import type { TestDouble, TestDoubleFactory } from './index.ts'

export interface LookupOptions {
  /** The answer, in this order (dns.lookup's LookupAddress: family 4 or 6). */
  addresses?: { address: string; family: number }[]
  /** Fail every call with an Error carrying this code (ENOTFOUND, say), as getaddrinfo's failures do. */
  error?: string
  /** Each call waits for control('release') before it answers; one never released never answers. */
  hold?: boolean
}

/** One call, as control('report') tells it: plain JSON. */
export interface LookupCall {
  hostname: string
  /** The options' `all`, or null when the call passed no options object. */
  all: boolean | null
  /** The options' `family` (0, 4, 6, 'IPv4'...), or null when none was given. */
  family: number | string | null
  state: 'held' | 'answered' | 'failed' | 'cancelled'
}

export interface LookupReport {
  calls: LookupCall[]
}

type Callback = (error: NodeJS.ErrnoException | null, address?: string | { address: string; family: number }[], family?: number) => void

/** What dns.lookup's failures look like: `getaddrinfo ENOTFOUND name`, code, syscall and hostname. */
function lookupError(code: string, hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code, syscall: 'getaddrinfo', hostname })
}

const lookup: TestDoubleFactory = (raw): TestDouble => {
  const options = raw as LookupOptions
  const calls: LookupCall[] = []
  const held: (() => void)[] = []
  /** Settles every held call: answering (release), or failing with ECANCELLED (the test is over). */
  const settleHeld = (): number => {
    const waiting = held.splice(0)
    for (const settle of waiting) settle()
    return waiting.length
  }
  let cancelled = false

  const value = (hostname: string, lookupOptions: unknown, maybeCallback?: Callback): void => {
    // dns.lookup(hostname, callback) is allowed too: no options.
    const callback = (typeof lookupOptions === 'function' ? lookupOptions : maybeCallback) as Callback
    const given = typeof lookupOptions === 'object' && lookupOptions !== null ? (lookupOptions as { all?: unknown; family?: unknown }) : undefined
    const call: LookupCall = {
      hostname: String(hostname),
      all: given ? given.all === true : null,
      family: typeof given?.family === 'number' || typeof given?.family === 'string' ? given.family : null,
      state: 'held',
    }
    calls.push(call)
    const answer = (): void => {
      if (cancelled) {
        call.state = 'cancelled'
        callback(lookupError('ECANCELLED', call.hostname))
        return
      }
      // As dns.lookup does: a family asked for (4, 6, 'IPv4', 'IPv6') leaves the addresses of the other out.
      const wanted = call.family === 4 || call.family === 'IPv4' ? 4 : call.family === 6 || call.family === 'IPv6' ? 6 : 0
      const addresses = (options.addresses ?? []).filter(({ family }) => wanted === 0 || family === wanted)
      if (options.error !== undefined || (!call.all && addresses.length === 0)) {
        call.state = 'failed'
        callback(lookupError(options.error ?? 'ENOTFOUND', call.hostname))
        return
      }
      call.state = 'answered'
      if (call.all) callback(null, addresses.map(({ address, family }) => ({ address, family })))
      else callback(null, addresses[0]!.address, addresses[0]!.family)
    }
    // Never synchronously: dns.lookup always answers on a later turn of the event loop.
    if (options.hold) held.push(() => process.nextTick(answer))
    else process.nextTick(answer)
  }

  return {
    value,
    control: (command) => {
      if (command === 'report') return { calls: calls.map((call) => ({ ...call })) } satisfies LookupReport
      if (command === 'release') return settleHeld()
      throw new Error(`the lookup double has no command ${command} (report, release)`)
    },
    // A call still held when the test ends fails as a cancelled query would: no promise of the learner's waits past its test.
    dispose: () => {
      cancelled = true
      settleHeld()
    },
  }
}

export const lookupDoubles: Record<string, TestDoubleFactory> = { lookup }
