/** A throwaway copy of the project (its own katas/ and .socket-katas/, this node_modules), to drive the learner commands in. */
import { execFileSync } from 'node:child_process'
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot, stubsDir } from '../../harness/paths.ts'

export interface ProjectCopy {
  root: string
  /** Copies a file of the real project (a solution, say) over a path in the copy. */
  put(fromProject: string, toCopy: string): Promise<void>
  remove(): Promise<void>
}

export async function copyOfProject(): Promise<ProjectCopy> {
  const root = await mkdtemp(join(tmpdir(), 'socket-katas-copy-'))
  const tracked = execFileSync('git', ['ls-files'], { cwd: projectRoot, encoding: 'utf8' }).split('\n').filter(Boolean)
  const untracked = execFileSync('git', ['ls-files', '--others', '--exclude-standard'], { cwd: projectRoot, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
  for (const file of [...tracked, ...untracked]) await cp(join(projectRoot, file), join(root, file), { recursive: true }).catch(() => {})
  await symlink(join(projectRoot, 'node_modules'), join(root, 'node_modules'))
  await cp(stubsDir, join(root, 'katas'), { recursive: true }) // every kata starts as shipped, whatever this checkout holds
  return {
    root,
    put: (fromProject, toCopy) => cp(join(projectRoot, fromProject), join(root, toCopy)),
    remove: () => rm(root, { recursive: true, force: true }),
  }
}
