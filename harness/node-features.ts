/**
 * Node features some katas need, and the versions that have them: the kata's tests skip with the
 * reason on an older Node, and the grader grades on a Node that has them all (grader/grading-node.ts).
 */

/**
 * Why Node `version` cannot share a port, or undefined when it can: `listen({ reusePort: true })` sets
 * SO_REUSEPORT from Node 22.12.0 and 23.1.0 (nodejs/node#55408); older Node ignores the option
 * silently, so its second listener on a port gets EADDRINUSE.
 */
export function reusePortUnsupported(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number)
  if (major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12)) return undefined
  return `Node ${version.replace(/^v/, '')} ignores listen()'s reusePort (SO_REUSEPORT needs Node 22.12 or later, 23.1 on Node 23)`
}

/** Why this Node cannot run every kata's tests, or undefined when it can. */
export function missingKataFeatures(version: string = process.versions.node): string | undefined {
  return reusePortUnsupported(version)
}
