/**
 * Node features some katas need, and the versions that have them: the kata's tests skip with the
 * reason on an older Node, and the grader grades on a Node that has them all (grader/grading-node.ts).
 */

/** `server.listen({ reusePort })` (SO_REUSEPORT): Node 22.12 on the 22 line, 23.1 on the odd line, every later major. */
export function reusePortUnsupported(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number)
  const supported = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12)
  if (supported) return undefined
  return `this Node (${version.replace(/^v/, '')}) has no reusePort option for server.listen() (it ignores it, and a second listener gets EADDRINUSE): it came in Node 22.12 and 23.1`
}

/** Why this Node cannot run every kata's tests, or undefined when it can. */
export function missingKataFeatures(version: string = process.versions.node): string | undefined {
  return reusePortUnsupported(version)
}
