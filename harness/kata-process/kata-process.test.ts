import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { procNetUnavailable } from '../kernel/proc-net.ts'
import { within } from '../lifecycle/within.ts'
import { bundle, runtimeBundle } from './bundle.ts'
import { descriptorLimitUnavailable, withNoFreeDescriptor } from './descriptor-limit.ts'
import { KataCall } from './kata-under-test.ts'
import { KataProcess, KataProcessError, KataThrew } from './kata-process.ts'
import { RemoteAsyncIterable, RemoteError, RemoteServer, RemoteSocket, type RemoteHandle } from './remote.ts'

const folder = await mkdtemp(join(tmpdir(), 'kata-process-test-'))
const running: KataProcess[] = []
afterEach(async () => void (await Promise.all(running.splice(0).map((process) => process.kill()))))
afterAll(() => rm(folder, { recursive: true, force: true }))

/** A kata process with `source` loaded as its kata file. */
async function kataProcessWith(source: string, options: ConstructorParameters<typeof KataProcess>[1] = {}): Promise<KataProcess> {
  const file = join(folder, `kata-${running.length}-${Math.random().toString(36).slice(2)}.ts`)
  await writeFile(file, source)
  const bundled = await bundle(file)
  if ('error' in bundled) throw new Error(bundled.error)
  const process = new KataProcess(runtimeBundle(), options)
  running.push(process)
  await process.ready
  await process.load(file, bundled.code)
  return process
}

function call<T>(process: KataProcess, fn: string, ...args: unknown[]): KataCall<T> {
  return new KataCall<T>(fn, Promise.resolve({ process, call: process.call(fn, args) }))
}

describe('the kata process', () => {
  test("runs the learner's function there: its server stays there, known by id, with its facts", async () => {
    const kata = await kataProcessWith(`
      import net from 'node:net'
      export function listen(host: string): Promise<net.Server> {
        return new Promise((resolve) => { const server = net.createServer(); server.listen(0, host, () => resolve(server)) })
      }`)
    const server = await call<RemoteServer>(kata, 'listen', '127.0.0.1')
    expect(server).toBeInstanceOf(RemoteServer)
    expect(server.facts).toMatchObject({ type: 'net.Server', listening: true, address: { address: '127.0.0.1' } })
    const client = net.connect(server.port!, '127.0.0.1')
    await within(2000, 'no connection', new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject)))
    client.destroy()
    expect((await kata.release()).leftovers, 'what the test owns is closed on release').toEqual([])
  })

  test('a rejection arrives as a RemoteError with its code; a synchronous throw as the error itself, its lines mapped to the .ts file', async () => {
    const kata = await kataProcessWith(`
      export function refuse(): Promise<never> {
        return Promise.reject(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }))
      }
      export function stub(): never {
        throw new Error('Not implemented yet: write stub()')
      }`)
    const rejected = await call(kata, 'refuse').then(() => undefined, (error: unknown) => error)
    expect(rejected).toBeInstanceOf(RemoteError)
    expect(rejected).toMatchObject({ code: 'EADDRINUSE', message: 'listen EADDRINUSE' })
    const thrown = await call(kata, 'stub').then(() => undefined, (error: unknown) => error)
    expect(thrown).toBeInstanceOf(KataThrew)
    expect((thrown as Error).message).toBe('Not implemented yet: write stub()')
    expect((thrown as Error).stack).toMatch(/kata-\d+-\w+\.ts:6:15/)
  })

  test("an 'error' event nobody handles crashes it, and the call says so, code first", async () => {
    const kata = await kataProcessWith(`
      import net from 'node:net'
      export function connect(port: number): Promise<void> {
        net.connect(port, '127.0.0.1')
        return new Promise(() => {})
      }`)
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as net.AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const error = await call(kata, 'connect', port).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(KataProcessError)
    expect((error as Error).message).toMatch(/^ECONNREFUSED \(connect ECONNREFUSED 127\.0\.0\.1:\d+\) went unhandled in your code, so the kata process crashed/)
  })

  test('a crash while no call is pending is told once, when the test ends and asks', async () => {
    const kata = await kataProcessWith(`
      export function later(): void {
        setTimeout(() => { throw Object.assign(new Error('boom'), { code: 'EBOOM' }) }, 10)
      }`)
    await call(kata, 'later')
    await within(2000, 'the kata process never crashed', kata.exited)
    expect(kata.takeEndReason()).toMatch(/^EBOOM \(boom\) went unhandled in your code, so the kata process crashed/)
    expect(kata.takeEndReason(), 'told once').toBeUndefined()
  })

  test('process.exit() ends it, and the call says so', async () => {
    const kata = await kataProcessWith(`export function quit(): void { process.exit(3) }`)
    await expect(call(kata, 'quit')).rejects.toThrow('the kata process exited (exit code 3) while the test ran: does your code call process.exit()?')
  })

  test('an endless loop is named within about half a second, and its process marked stuck', async () => {
    const kata = await kataProcessWith(`export function spin(): void { for (;;) {} }`)
    // Spotted after half a second where the loop gets half a core or more; on a machine busier than that, the wait's bound says it.
    await expect(within(3000, 'spin() never settled', call(kata, 'spin'))).rejects.toThrow(/spin\(\) never returned: your code kept the CPU busy/)
    expect(kata.stuck).toBe(true)
  })

  test('what it prints is kept, in order, for the test that asks', async () => {
    const kata = await kataProcessWith(`export function chat(): void { console.log('one'); console.error('two'); process.stdout.write('three\\n') }`)
    await call(kata, 'chat')
    expect((await kata.release()).output).toBe('one\ntwo\nthree\n')
    expect((await kata.release()).output).toBe('')
  })

  test('after release, what the learner left behind is named: a pending timer with its line, an unref()d server', async (context) => {
    if (procNetUnavailable()) context.skip(procNetUnavailable()!)
    const kata = await kataProcessWith(`
      import net from 'node:net'
      export function leak(): Promise<number> {
        setTimeout(() => {}, 10_000)
        return new Promise((resolve) => {
          const server = net.createServer().listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))
          server.unref()
        })
      }`)
    const port = await call<number>(kata, 'leak')
    const { leftovers } = await kata.release()
    expect(leftovers).toEqual([
      expect.objectContaining({ kind: 'timer', ref: true, createdAt: expect.stringMatching(/\.ts:4$/) }),
      expect.objectContaining({ kind: 'tcp-server', ref: false, localPort: port, description: `a TCP server listening on 127.0.0.1:${port}` }),
    ])
    expect(kata.sockets('tcp').map((row) => `${row.state} ${row.localPort}`)).toEqual([`LISTEN ${port}`])
  })
})

describe('an async iterable the learner returns', () => {
  const PULL_MS = 2000

  test('stays in the kata process; each pull takes its next result there, Buffers arriving as Buffers, then done', async () => {
    const kata = await kataProcessWith(`
      export async function* count(): AsyncIterable<Buffer> {
        yield Buffer.from('one')
        yield Buffer.alloc(0)
        yield Buffer.from([0xe2, 0x98, 0x83])
      }`)
    const iterable = await call<RemoteAsyncIterable<Buffer>>(kata, 'count')
    expect(iterable).toBeInstanceOf(RemoteAsyncIterable)
    expect(iterable.facts).toEqual({ type: 'async-iterable', className: 'AsyncGenerator' })
    const pulled: IteratorResult<Buffer, undefined>[] = []
    for (let i = 0; i < 4; i++) pulled.push(await iterable.next(PULL_MS, 'no result'))
    expect(pulled).toEqual([
      { done: false, value: Buffer.from('one') },
      { done: false, value: Buffer.alloc(0) },
      { done: false, value: Buffer.from('☃') },
      { done: true, value: undefined },
    ])
  })

  test('an object with [Symbol.asyncIterator]() is iterated too, not sent as a plain object', async () => {
    const kata = await kataProcessWith(`
      export function letters(): AsyncIterable<string> {
        return { async *[Symbol.asyncIterator]() { yield 'a'; yield 'b' } }
      }`)
    const iterable = await call<RemoteAsyncIterable<string>>(kata, 'letters')
    expect(iterable).toBeInstanceOf(RemoteAsyncIterable)
    expect([await iterable.next(PULL_MS, 'no a'), await iterable.next(PULL_MS, 'no b')].map((result) => result.value)).toEqual(['a', 'b'])
  })

  test('an error the iteration throws arrives as a RemoteError with its code', async () => {
    const kata = await kataProcessWith(`
      export async function* truncated(): AsyncIterable<Buffer> {
        yield Buffer.from('whole')
        throw Object.assign(new Error('the stream ended inside a frame'), { code: 'ERR_FRAME_TRUNCATED' })
      }`)
    const iterable = await call<RemoteAsyncIterable<Buffer>>(kata, 'truncated')
    await iterable.next(PULL_MS, 'no first result')
    const error = await iterable.next(PULL_MS, 'no second result').then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteError)
    expect(error).toMatchObject({ code: 'ERR_FRAME_TRUNCATED', message: 'the stream ended inside a frame' })
  })

  test("return() stops it early, as break does: the generator's finally runs", async () => {
    const kata = await kataProcessWith(`
      let stopped = false
      export async function* endless(): AsyncIterable<number> {
        try { for (let i = 0; ; i++) yield i } finally { stopped = true }
      }
      export function wasStopped(): boolean { return stopped }`)
    const iterable = await call<RemoteAsyncIterable<number>>(kata, 'endless')
    expect(await iterable.next(PULL_MS, 'no first result')).toEqual({ done: false, value: 0 })
    expect(await iterable.return(PULL_MS, 'return() never settled')).toEqual({ done: true, value: undefined })
    expect(await call<boolean>(kata, 'wasStopped')).toBe(true)
  })

  test('a pull that spins fails within its bound, naming the endless loop, and marks the process stuck', async () => {
    const kata = await kataProcessWith(`
      export async function* spin(): AsyncIterable<Buffer> { for (;;) {} }`)
    const iterable = await call<RemoteAsyncIterable<Buffer>>(kata, 'spin')
    await expect(iterable.next(1000, 'spin() yielded nothing')).rejects.toThrow(/^spin\(\) yielded nothing within 1 s: your code kept the CPU busy/)
    expect(kata.stuck).toBe(true)
  })

  test('a pull that never settles fails within its bound, saying what did not happen', async () => {
    const kata = await kataProcessWith(`
      export async function* silent(): AsyncIterable<Buffer> { await new Promise(() => {}) }`)
    const iterable = await call<RemoteAsyncIterable<Buffer>>(kata, 'silent')
    await expect(iterable.next(200, 'silent() yielded nothing')).rejects.toThrow('silent() yielded nothing within 200 ms')
  })
})

test.runIf(descriptorLimitUnavailable() === undefined)('with no descriptor left, the implicit bind of a UDP send fails with EMFILE, as an error event', async () => {
  const kata = await kataProcessWith(`
    import dgram from 'node:dgram'
    export function send(): Promise<string> {
      const socket = dgram.createSocket('udp4')
      return new Promise((resolve) => {
        socket.once('error', (error: NodeJS.ErrnoException) => { socket.close(); resolve(\`\${error.code} \${error.syscall}\`) })
        socket.send('x', 9, '127.0.0.1', () => { socket.close(); resolve('sent') })
      })
    }`)
  expect(await withNoFreeDescriptor(kata.pid, undefined, async () => call(kata, 'send'))).toBe('EMFILE bind')
  expect(await call(kata, 'send'), 'the limit is given back afterwards').toBe('sent')
}, 10_000)

test.runIf(descriptorLimitUnavailable() === undefined)('with spare descriptors, that many sockets open and the next fails with EMFILE', async () => {
  const kata = await kataProcessWith(`
    import net from 'node:net'
    export async function listenMany(count: number): Promise<string[]> {
      const servers: net.Server[] = []
      const results: string[] = []
      for (let i = 0; i < count; i++) {
        const server = net.createServer()
        results.push(await new Promise<string>((resolve) => {
          server.once('error', (error: NodeJS.ErrnoException) => resolve(String(error.code)))
          server.listen(0, '127.0.0.1', () => { servers.push(server); resolve('listening') })
        }))
      }
      for (const server of servers) server.close()
      return results
    }`)
  expect(await withNoFreeDescriptor(kata.pid, undefined, async () => call(kata, 'listenMany', 3), 2)).toEqual(['listening', 'listening', 'EMFILE'])
}, 10_000)

describe('a test double (runtime/test-doubles)', () => {
  test("is made in the kata process, passed to the learner's function, called there; the test reads its record", async () => {
    const kata = await kataProcessWith(`
      export function useTwice(f: (...args: unknown[]) => number): number {
        return f('a', 1) + f('b')
      }`)
    const { value } = await kata.create({ what: 'test-double', name: 'recording-function', options: { returns: 21 } })
    expect(await call(kata, 'useTwice', value)).toBe(42)
    expect(await kata.invoke((value as RemoteHandle).id, 'test-double', ['report'])).toEqual({ calls: [['a', 1], ['b']] })
  })

  test('a name no double has is refused, listing the doubles there are', async () => {
    const kata = await kataProcessWith('export const nothing = 0')
    await expect(kata.create({ what: 'test-double', name: 'no-such-double', options: {} })).rejects.toThrow(/no test double named no-such-double \(the doubles: .*recording-function/)
  })
})

describe("the learner's code cannot reach the test process", () => {
  test('globalThis, process.getBuiltinModule, createRequire, node:vm and worker ports all reach only the kata process', async () => {
    const kata = await kataProcessWith(`
      import { createRequire } from 'node:module'
      import vm from 'node:vm'
      export function attack(): Record<string, unknown> {
        const g = globalThis as any
        g.__kata_was_here__ = true
        const threads = process.getBuiltinModule?.('node:worker_threads') as typeof import('node:worker_threads') | undefined
        let vitest: string
        try { createRequire(process.cwd() + '/')('vitest'); vitest = 'loaded' } catch (error) { vitest = (error as NodeJS.ErrnoException).code ?? 'failed' }
        const realm = vm.runInThisContext('this') === globalThis
        return {
          isMainThread: threads?.isMainThread,
          parentPort: threads?.parentPort === null,
          workerInGlobals: Object.keys(g).filter((key) => /vitest|jest|chai|expect/i.test(key)),
          vitest,
          realm,
          pid: process.pid,
        }
      }`)
    const seen = await call<Record<string, unknown>>(kata, 'attack')
    expect(seen).toMatchObject({ isMainThread: true, parentPort: true, workerInGlobals: [], realm: true })
    expect(seen.pid, 'another process').not.toBe(process.pid)
    expect((globalThis as Record<string, unknown>).__kata_was_here__, "the test's globalThis is untouched").toBeUndefined()
  })

  test.runIf(process.getuid?.() === 0 && process.platform === 'linux')(
    "as an identity of its own, it reads neither the test process's memory and environment nor its private files",
    async () => {
      const secret = join(folder, 'secret.key')
      await writeFile(secret, 'not for the kata process', { mode: 0o600 })
      const kata = await kataProcessWith(
        `
        import { readFileSync } from 'node:fs'
        export function snoop(testPid: number, secret: string): Record<string, string> {
          const tryRead = (path: string) => { try { readFileSync(path); return 'read' } catch (error) { return (error as NodeJS.ErrnoException).code ?? 'failed' } }
          return { environ: tryRead('/proc/' + testPid + '/environ'), mem: tryRead('/proc/' + testPid + '/mem'), secret: tryRead(secret), uid: String(process.getuid?.()) }
        }`,
        { identity: { uid: 65534, gid: 65534 } },
      )
      const seen = await call<Record<string, string>>(kata, 'snoop', process.pid, secret)
      expect(seen).toEqual({ environ: 'EACCES', mem: 'EACCES', secret: 'EACCES', uid: '65534' })
      expect(await readFile(secret, 'utf8')).toBe('not for the kata process')
    },
  )
})

test.runIf(process.getuid?.() === 0 && process.platform === 'linux')(
  'as an identity of its own, nothing it started outlives it, however it detached',
  async () => {
    const kata = await kataProcessWith(
      `
      import { spawn } from 'node:child_process'
      export function detach(): number[] {
        return [1, 2, 3].map(() => spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60e3)'], { detached: true, stdio: 'ignore' }).pid!)
      }`,
      { identity: { uid: 65533, gid: 65533 } },
    )
    const children = await call<number[]>(kata, 'detach')
    expect(children.filter(isRunning), 'the detached children run while it does').toHaveLength(3)
    await kata.kill()
    expect(children.filter(isRunning), 'children still running after the kata process ended').toEqual([])
  },
)

function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

describe("a socket's write-write-read rounds (RemoteSocket.writeWriteRead, kata 15)", () => {
  /** A server here that answers every `replyAfter` bytes with that many bytes, and what it received. */
  async function replyingServer(replyAfter: number | undefined) {
    let received = ''
    const server = net.createServer((socket) => {
      socket.setNoDelay(true).on('error', () => {})
      let pending = 0
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1')
        for (pending += chunk.length; replyAfter !== undefined && pending >= replyAfter; pending -= replyAfter) socket.write(Buffer.alloc(replyAfter))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { server, port: (server.address() as net.AddressInfo).port, received: () => received }
  }

  test('makes both writes of every round, waits for each reply, and times each round in the kata process', async () => {
    const { server, port, received } = await replyingServer(10)
    try {
      const kata = await kataProcessWith('export const nothing = 0')
      const { value } = await kata.create({ what: 'tcp-connection', host: '127.0.0.1', port })
      const durations = await (value as RemoteSocket).writeWriteRead(3, 'hello', 'world', 10, 2000)
      expect(durations).toHaveLength(3)
      expect(durations.every((ms) => ms >= 0 && ms < 2000)).toBe(true)
      expect(received()).toBe('helloworld'.repeat(3))
    } finally {
      server.close()
    }
  })

  test('a reply that never comes fails within its bound, saying which round it was', async () => {
    const { server, port } = await replyingServer(undefined)
    try {
      const kata = await kataProcessWith('export const nothing = 0')
      const { value } = await kata.create({ what: 'tcp-connection', host: '127.0.0.1', port })
      await expect((value as RemoteSocket).writeWriteRead(2, 'hello', 'world', 10, 200)).rejects.toThrow(
        "after 0 of 2 write-write-read rounds, round 1's reply had not arrived (0 of 10 bytes) within 200 ms in all",
      )
    } finally {
      server.close()
    }
  })
})
