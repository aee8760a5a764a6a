import net from 'node:net'

/**
 * Starts a TCP server on `host`, on a port the operating system chooses.
 *
 * Resolves once the server is listening, with the server and the port the OS gave it. Rejects with
 * the error the listen failed with (EADDRNOTAVAIL, ...), leaving nothing open.
 */
export function listenOnAnyPort(host: string): Promise<{ server: net.Server; port: number }> {
  throw new Error(
    'Not implemented yet: write listenOnAnyPort() in katas/02-port-zero/port-zero.ts (the lesson is katas/02-port-zero/README.md)',
  )
}
