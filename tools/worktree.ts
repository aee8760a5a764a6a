/** An earlier commit checked out beside this one, for benchmarks that compare against it. */
import { mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot } from '../harness/paths.ts'
import { runCommand } from '../harness/run-command.ts'

/** `ref` checked out in a temporary folder, sharing this project's node_modules; `remove` deletes it. */
export async function checkout(ref: string): Promise<{ root: string; remove: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'socket-katas-baseline-'))
  await runCommand('git', ['worktree', 'add', '--detach', '--force', root, ref])
  await symlink(join(projectRoot, 'node_modules'), join(root, 'node_modules'))
  const remove = async () => {
    await runCommand('git', ['worktree', 'remove', '--force', root])
    await rm(root, { recursive: true, force: true })
  }
  return { root, remove }
}
