/**
 * The kata process's side of the channel. The learner's code runs here, in a process of its own, and
 * this does only what the test process asks: load the kata file, call its functions, create the
 * objects a contract takes, read plain facts, write, close, and release what the test owns. It makes
 * no verdict; the test process does, from the kernel and the wire.
 */
import { writeFileSync } from 'node:fs'
import { Module } from 'node:module'
import net from 'node:net'
import { dirname } from 'node:path'
import type { CreateRequest, Encoded, FromKata, StrykerState, ToKata } from '../protocol.ts'
import { factsOf, objectById, own, releaseOwned } from './handles.ts'
import { invoke } from './operations.ts'
import { makeTestDouble } from './test-doubles/index.ts'
import { callRunningNow, observing, watchNodeApis } from './observe.ts'
import { strykerCoverage, strykerTestStart } from './stryker.ts'
import { Tracker } from './tracker.ts'
import { decode, encode, errorFacts } from './values.ts'

let learnerFolder = ''
let learnerExports: Record<string, unknown> = {}
let crashed = false

const send = (message: FromKata): void => void process.send?.(message)
const reply = (id: number, value: Encoded, extra?: Record<string, unknown>) => send({ type: 'reply', id, ok: true, value, extra })
const refuse = (id: number, error: unknown) => send({ type: 'reply', id, ok: false, error: errorFacts(error) })

process.setSourceMapsEnabled(true)
// When memory runs out (a grading run's cgroup limit), the kernel kills the learner's process first, never the tests.
try {
  writeFileSync('/proc/self/oom_score_adj', '1000')
} catch {
  // not Linux
}
void process.stdout // the runtime's own pipes exist before tracking starts, so they are never counted as the learner's
void process.stderr
// One stream for both, so that what the learner prints keeps its order (two pipes would interleave at random).
const writeStderr = process.stderr.write.bind(process.stderr)
process.stderr.write = process.stdout.write.bind(process.stdout) as typeof process.stderr.write
const tracker = new Tracker((path) => learnerFolder !== '' && path.startsWith(learnerFolder), callRunningNow)
watchNodeApis()

process.on('uncaughtException', (error) => crash('exception', error))
process.on('unhandledRejection', (reason) => crash('rejection', reason))
process.on('disconnect', () => process.exit(0))
process.on('message', (message: ToKata) => {
  if (!crashed) guarded(message.id, () => dispatch(message))
})
send({ type: 'ready' })

function guarded(id: number, body: () => void): void {
  try {
    body()
  } catch (error) {
    refuse(id, error)
  }
}

function dispatch(message: ToKata): void {
  switch (message.type) {
    case 'load':
      return load(message.id, message.file, message.code)
    case 'call':
      // From a microtask, as a caller's own code would be: the settle snapshot is then taken before any
      // process.nextTick the call scheduled (listen() with a host finishes on one).
      return queueMicrotask(() => guarded(message.id, () => call(message.id, message.fn, message.args)))
    case 'create':
      return void create(message.request).then((value) => reply(message.id, value.value, value.extra), (error) => refuse(message.id, error))
    case 'invoke':
      return void invoke(objectById(message.handle), message.op, message.args.map(decode)).then(
        (value) => reply(message.id, encode(value)),
        (error) => refuse(message.id, error),
      )
    case 'test-start':
      return testStart(message.id, message.stryker)
    case 'release':
      return release(message.id, message.mark)
    case 'ping':
      return reply(message.id, { k: 'undefined' })
  }
}

/** The learner's file, bundled by the test process into one CommonJS module with a source map to their lines. */
function load(id: number, file: string, code: string): void {
  learnerFolder = `${dirname(file)}/`
  const module = new Module(file) as Module & { _compile(code: string, filename: string): void }
  module.filename = file
  module._compile(code, file)
  learnerExports = module.exports as Record<string, unknown>
  reply(id, encode(Object.keys(learnerExports)))
}

function call(id: number, name: string, encodedArgs: Encoded[]): void {
  const fn = learnerExports[name]
  if (typeof fn !== 'function') throw new Error(`the kata file does not export a function named ${name}()`)
  const args = encodedArgs.map(decode)
  const started = performance.now()
  let outcome
  try {
    outcome = observing(() => fn(...args))
  } catch (error) {
    send({ type: 'threw', id, error: encode(error) })
    return
  }
  const { observed, result } = outcome
  const isPromise = typeof (result as PromiseLike<unknown>)?.then === 'function'
  send({ type: 'returned', id, promise: isPromise })
  const settled = (resolved: boolean, value: unknown) => {
    const elapsedMs = performance.now() - started
    observed.openAtSettle = tracker.openSocketsOf(observed)
    send({ type: 'settled', id, resolved, value: encode(value), elapsedMs, observed })
  }
  Promise.resolve(result).then(
    (value) => settled(true, value),
    (error) => settled(false, error),
  )
}

/** The objects a contract takes, made by the test (and so the test's): a listening server, a connected client, a test double. */
async function create(request: CreateRequest): Promise<{ value: Encoded; extra?: Record<string, unknown> }> {
  if (request.what === 'test-double') {
    const double = makeTestDouble(request.name, request.options)
    return { value: { k: 'handle', id: own(double), facts: factsOf(double) } }
  }
  if (request.what === 'tcp-server') {
    const server = net.createServer()
    own(server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: request.host, port: 0, backlog: request.backlog }, () => {
        server.off('error', reject)
        resolve()
      })
    })
    return { value: { k: 'handle', id: own(server), facts: factsOf(server) } }
  }
  const started = performance.now()
  const socket = net.connect({ host: request.host, port: request.port, allowHalfOpen: request.allowHalfOpen })
  own(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve()
    })
  })
  return { value: { k: 'handle', id: own(socket), facts: factsOf(socket) }, extra: { connectMs: performance.now() - started } }
}

function testStart(id: number, stryker: StrykerState | undefined): void {
  strykerTestStart(stryker)
  reply(id, { k: 'undefined' })
}

/**
 * Closes what the test owns, then reports what the learner's code still holds. `mark` goes after
 * everything printed so far: once the test process sees it on both streams, it has all of it.
 */
function release(id: number, mark: string): void {
  releaseOwned((server) => tracker.acceptedBy(server))
  process.stdout.write(mark)
  writeStderr(mark) // what reaches stderr by itself (Node's own warnings) comes before this
  send({ type: 'released', id, leftovers: tracker.leftovers(), stryker: strykerCoverage() })
}

/** A Node program would die here: say why, then die. */
function crash(kind: 'exception' | 'rejection', error: unknown): void {
  if (crashed) return
  crashed = true
  const exit = () => process.exit(70)
  try {
    process.send?.({ type: 'uncaught', kind, error: encode(error), stryker: strykerCoverage() } satisfies FromKata, exit)
  } catch {
    exit()
  }
}
