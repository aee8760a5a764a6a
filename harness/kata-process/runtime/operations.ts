/** What the test may ask of an object in the kata process: its facts, writing, reading or closing it, and pulling from an async iterable. */
import dgram from 'node:dgram'
import net from 'node:net'
import { factsOf, forceClose } from './handles.ts'
import { pullNext, stopIterating } from './iteration.ts'
import { controlTestDouble } from './test-doubles/index.ts'

type Operation = (object: object, args: unknown[]) => unknown

const OPERATIONS: Record<string, Operation> = {
  facts: (object) => factsOf(object),
  close: (object) => forceClose(object),
  write: (object, [bytes]) => writeAll(socketOf(object), bytes as Uint8Array),
  'write-zeros': (object, [byteCount]) => writeAll(socketOf(object), Buffer.alloc(byteCount as number)),
  end: (object) => void socketOf(object).end(),
  cork: (object) => void socketOf(object).cork(),
  read: (object, [byteCount, ms]) => readBytes(socketOf(object), byteCount as number, ms as number),
  'fail-accept': (object) => failAccept(serverOf(object)),
  'iterator-next': (object) => pullNext(object),
  'iterator-return': (object) => stopIterating(object),
  'test-double': (object, [command, ...args]) => controlTestDouble(object, command as string, args),
  'write-write-read': (object, [rounds, first, second, replyBytes, ms]) =>
    writeWriteRead(socketOf(object), rounds as number, first as Uint8Array, second as Uint8Array, replyBytes as number, ms as number),
}

export async function invoke(object: object, op: string, args: unknown[]): Promise<unknown> {
  const operation = OPERATIONS[op]
  if (!operation) throw new Error(`unknown operation ${op}`)
  return operation(object, args)
}

function serverOf(object: object): net.Server {
  if (object instanceof net.Server) return object
  throw new Error(`${object.constructor.name} is not a TCP server`)
}

/**
 * What Node does when accept() fails for a server (net.js, onconnection): an 'error' event with the
 * errno and syscall 'accept'. Made up rather than caused: on EMFILE, libuv first spends a spare
 * descriptor it keeps to accept and close the waiting connections, so a lowered descriptor limit
 * loses connections silently, and the event comes only once that spare is gone too, which a test
 * cannot arrange. Emitted on the next turn of the event loop, as Node's is: with no listener, it is
 * an uncaught exception that ends the process, as it would end a real one.
 */
function failAccept(server: net.Server): void {
  const error = Object.assign(new Error('accept EMFILE: too many open files'), { code: 'EMFILE', errno: -24, syscall: 'accept' })
  setImmediate(() => server.emit('error', error))
}

function socketOf(object: object): net.Socket {
  if (object instanceof net.Socket) return object
  throw new Error(`${object instanceof dgram.Socket ? 'a UDP socket' : object.constructor.name} is not a TCP socket`)
}

/** Writes for the test; an error is the test's to report, so it never reaches the socket's own 'error' listeners as unhandled. */
function writeAll(socket: net.Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    socket.once('error', onError)
    socket.write(bytes, (error) => {
      // A failed write's 'error' event comes a tick after this callback: listen until it has passed.
      setImmediate(() => socket.off('error', onError))
      if (error) reject(error)
      else resolve()
    })
  })
}

/** The next `byteCount` bytes the socket receives, however TCP splits them; listens only meanwhile. */
function readBytes(socket: net.Socket, byteCount: number, ms: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let received = 0
    const stop = () => {
      clearTimeout(timer)
      socket.off('data', onData).off('end', onEnd).off('error', onError)
    }
    const onError = (error: Error) => {
      stop()
      reject(error)
    }
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      received += chunk.length
      if (received >= byteCount) {
        stop()
        const all = Buffer.concat(chunks)
        if (all.length > byteCount) socket.unshift(all.subarray(byteCount))
        resolve(all.subarray(0, byteCount))
      }
    }
    const onEnd = () => {
      stop()
      reject(new Error(`the other end closed the connection after ${received} of ${byteCount} bytes`))
    }
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`${received} of ${byteCount} bytes arrived within ${ms} ms: ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`))
    }, ms)
    socket.on('data', onData).once('end', onEnd).once('error', onError)
  })
}

/**
 * `rounds` rounds of: write `first`; once Node has handed it to the kernel (its write callback), write
 * `second`, so that the two are two sends, never one; then wait for `replyBytes` bytes to arrive. Returns
 * each round's duration in ms, from the first write to the reply's last byte, timed here where the
 * socket lives (a round trip over the channel would add its own latency). All of it within `ms`.
 */
function writeWriteRead(socket: net.Socket, rounds: number, first: Uint8Array, second: Uint8Array, replyBytes: number, ms: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const durations: number[] = []
    let received = 0
    let started = 0
    const stop = () => {
      clearTimeout(timer)
      socket.off('data', onData).off('end', onEnd).off('error', onError)
    }
    const fail = (why: string) => {
      stop()
      reject(new Error(`after ${durations.length} of ${rounds} write-write-read rounds, ${why}`))
    }
    const onError = (error: NodeJS.ErrnoException) => fail(`the socket failed: ${error.code ?? error.message}`)
    const onEnd = () => fail(`the other end closed the connection (${received} of ${replyBytes} reply bytes had arrived)`)
    const startRound = () => {
      received = 0
      started = performance.now()
      socket.write(first, (error) => {
        if (error) fail(`the first write failed: ${(error as NodeJS.ErrnoException).code ?? error.message}`)
        else socket.write(second)
      })
    }
    const onData = (chunk: Buffer) => {
      received += chunk.length
      if (received < replyBytes) return
      durations.push(performance.now() - started)
      if (durations.length < rounds) return startRound()
      stop()
      resolve(durations)
    }
    const timer = setTimeout(() => fail(`round ${durations.length + 1}'s reply had not arrived (${received} of ${replyBytes} bytes) within ${ms} ms in all`), ms)
    socket.on('data', onData).once('end', onEnd).once('error', onError)
    socket.resume() // a 'data' listener does not restart a stream that was paused
    startRound()
  })
}
