import net from 'node:net'

/**
 * Listens on the Unix domain socket at `path`, a filesystem path (no abstract names), and resolves with
 * the listening server. A socket file a dead server left at `path` is removed first; a live server's is
 * never touched (reject with EADDRINUSE). A path that exists and is not a socket (a file, a folder, a
 * symlink) is left alone, and the call rejects with EADDRINUSE. When Buffer.byteLength(path) > 107, it
 * rejects with an Error whose code is 'ENAMETOOLONG', before touching the filesystem (Node 20 and 22
 * cut such a path short silently and Node 24 says EINVAL: rely on neither).
 */
export function listenUnix(path: string): Promise<net.Server> {
  throw new Error('Not implemented yet: write listenUnix() in katas/16-unix-sockets/unix-sockets.ts (the lesson is katas/16-unix-sockets/README.md)')
}
