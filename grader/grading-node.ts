/**
 * The Node the kata tests run on when grading, and that the grading image holds: the grader's own
 * when it can run every kata's tests; otherwise the pinned Node 24 (tools/node-binary.ts, fetched once
 * from the npm registry). A kata whose tests skip on an old Node (17-reuse-port on Node 20) is then
 * graded all the same, and every submission, the reference solutions first, on the same Node.
 */
import { execFileSync } from 'node:child_process'
import { realpath } from 'node:fs/promises'
import { missingKataFeatures } from '../harness/node-features.ts'
import { PINNED_NODE, pinnedNode } from '../tools/node-binary.ts'

export interface GradingNode {
  /** The binary's real path. */
  path: string
  version: string
  /** Why the grader's own Node was not used, when it was not. */
  instead?: string
}

export async function gradingNode(own: string = process.execPath): Promise<GradingNode> {
  const ownVersion = versionOf(own)
  const missing = missingKataFeatures(ownVersion)
  if (!missing) return { path: await realpath(own), version: ownVersion }
  return { path: await realpath(await pinnedNode(24)), version: PINNED_NODE[24], instead: missing }
}

function versionOf(binary: string): string {
  return binary === process.execPath ? process.versions.node : execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '')
}
