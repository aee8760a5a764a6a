import net from 'node:net'
import { expect, test } from 'vitest'
import { mayBindPrivilegedPorts } from './addresses.ts'

/**
 * Whether this process may bind port 1023 of 127.0.0.1 (what the kernel says, not the rule). Any fixed
 * privileged port does: Linux checks the privilege before the port's use, so EACCES means no right,
 * and anything else (success, or EADDRINUSE from a listener already there) means the right is held.
 */
async function canListenOn1023(): Promise<boolean> {
  const server = net.createServer()
  return new Promise((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'EACCES'))
    server.listen({ host: '127.0.0.1', port: 1023 }, () => server.close(() => resolve(true)))
  })
}

test.runIf(process.platform === 'linux')("a process's CAP_NET_BIND_SERVICE, read from /proc, says what the kernel lets it bind", async () => {
  expect(mayBindPrivilegedPorts(process.pid)).toBe(await canListenOn1023())
})
