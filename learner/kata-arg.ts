/** The kata a learner names on the command line: "3", "03", "03-backlog" or "backlog". */
import { listKatas, type Kata } from '../harness/katas.ts'
import { testsRoot } from '../harness/paths.ts'

export function kataFromArgument(argument: string | undefined, command: string): Kata {
  const katas = listKatas(testsRoot())
  const list = katas.map((kata) => kata.folder).join(', ')
  if (!argument) throw new Error(`which kata? for example: npm run ${command} -- ${katas[0]?.number ?? '01'}  (the katas: ${list})`)
  const wanted = argument.trim().toLowerCase()
  const number = /^\d+$/.test(wanted) ? wanted.padStart(2, '0') : undefined
  const kata = katas.find((k) => k.number === number || k.folder === wanted || k.slug === wanted)
  if (!kata) throw new Error(`there is no kata "${argument}"; the katas are ${list}`)
  return kata
}
