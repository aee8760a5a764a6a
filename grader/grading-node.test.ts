import { realpath } from 'node:fs/promises'
import { expect, test } from 'vitest'
import { missingKataFeatures } from '../harness/node-features.ts'
import { PINNED_NODE, pinnedNode } from '../tools/node-binary.ts'
import { gradingNode } from './grading-node.ts'

test('a grader on a Node that runs every kata grades on that Node', async () => {
  const pinned = await pinnedNode(24)
  expect(await gradingNode(pinned)).toEqual({ path: await realpath(pinned), version: PINNED_NODE[24] })
})

test("a grader on an older Node grades on the pinned Node 24, saying why", async (context) => {
  const missing = missingKataFeatures()
  if (!missing) return context.skip(`this Node (${process.versions.node}) runs every kata, so the grader keeps it`)
  const node = await gradingNode()
  expect(node).toEqual({ path: await realpath(await pinnedNode(24)), version: PINNED_NODE[24], instead: missing })
})
