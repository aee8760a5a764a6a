import { lstat, unlink } from 'node:fs/promises'
import net from 'node:net'

/** sun_path holds 108 bytes, the last of them the closing NUL. */
const MAX_PATH_BYTES = 107

/**
 * Listens on the Unix domain socket at `path`, a filesystem path (no abstract names), and resolves with
 * the listening server. A socket file a dead server left at `path` is removed first; a live server's is
 * never touched (reject with EADDRINUSE). A path that exists and is not a socket (a file, a folder, a
 * symlink) is left alone, and the call rejects with EADDRINUSE. When Buffer.byteLength(path) > 107, it
 * rejects with an Error whose code is 'ENAMETOOLONG', before touching the filesystem (Node 20 and 22
 * cut such a path short silently and Node 24 says EINVAL: rely on neither).
 */
export async function listenUnix(path: string): Promise<net.Server> {
  const bytes = Buffer.byteLength(path)
  if (bytes > MAX_PATH_BYTES) {
    const error = new Error(`a Unix socket path holds at most ${MAX_PATH_BYTES} bytes; this one has ${bytes}: ${path}`)
    throw Object.assign(error, { code: 'ENAMETOOLONG' })
  }
  try {
    return await listen(path)
  } catch (error) {
    // bind() says EADDRINUSE for anything already at the path: remove it only if it is a dead server's socket.
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !(await isDeadSocket(path))) throw error
    await unlink(path)
    return listen(path)
  }
}

function listen(path: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}

/** A socket file (lstat: a symlink is not one) that nobody listens on: connecting to it is refused. */
async function isDeadSocket(path: string): Promise<boolean> {
  const stats = await lstat(path).catch(() => undefined)
  if (!stats?.isSocket()) return false
  return new Promise((resolve) => {
    const probe = net.connect(path)
    probe.once('connect', () => {
      probe.destroy()
      resolve(false)
    })
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
  })
}
