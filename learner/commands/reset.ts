/**
 * npm run reset -- 03 [--yes]: puts the kata's stub back, whatever became of the file (edited,
 * broken, deleted, replaced by a folder). Asks first; the learner's version is kept in
 * .socket-katas/backups/.
 */
import { cp, lstat, mkdir, readFile, rename } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { createInterface } from 'node:readline/promises'
import { parseArgs } from 'node:util'
import { green } from '../../harness/reporting/colors.ts'
import { implementationRoot, stubsDir, typedFrom } from '../../harness/paths.ts'
import { runCommand } from '../command.ts'
import { kataFromArgument } from '../kata-arg.ts'
import { stateDir } from '../state.ts'

await runCommand(async () => {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { yes: { type: 'boolean', short: 'y' } } })
  const kata = kataFromArgument(positionals[0], 'reset')
  const cwd = typedFrom()
  const target = join(implementationRoot(), kata.folder, kata.implementationFile)
  const stub = join(stubsDir, kata.folder, kata.implementationFile)
  const shown = relative(cwd, target)

  const current = await lstat(target).catch(() => undefined)
  if (current?.isFile() && (await readFile(target, 'utf8')) === (await readFile(stub, 'utf8'))) {
    console.log(`${shown} is the stub already; nothing to do.`)
    return 0
  }
  if (!values.yes && !(await confirm(`Put the stub back in ${shown}? What is there now is moved to ${relative(cwd, stateDir)}/backups/. [y/N] `, kata.number))) {
    console.log(`Left ${shown} as it was.`)
    return 1
  }
  const backup = current ? await backUp(target, kata.folder, kata.implementationFile) : undefined
  await mkdir(join(implementationRoot(), kata.folder), { recursive: true })
  await cp(stub, target)
  console.log(green(`${shown} is the stub again.`) + (backup ? ` Your version is in ${relative(cwd, backup)}.` : ''))
  return 0
})

async function confirm(question: string, kataNumber: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new Error(`reset asks before it overwrites your file; confirm with --yes (npm run reset -- ${kataNumber} --yes)`)
  const prompt = createInterface({ input: process.stdin, output: process.stdout })
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim())
  } finally {
    prompt.close()
  }
}

async function backUp(target: string, folder: string, file: string): Promise<string> {
  const dir = join(stateDir, 'backups', folder)
  await mkdir(dir, { recursive: true })
  const backup = join(dir, `${file}.${new Date().toISOString().replaceAll(':', '-')}`)
  await rename(target, backup)
  return backup
}
