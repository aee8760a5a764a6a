/** Hints, one at a time: each call reveals the next hint of a kata and remembers how far the learner got. */
import { bold, dim } from '../harness/reporting/colors.ts'
import type { Kata } from '../harness/katas.ts'
import { parseHints, readLesson } from '../harness/reporting/lessons.ts'
import { testsRoot } from '../harness/paths.ts'
import { readState, writeState } from './state.ts'

/** `again` says how to ask for the next hint: the command by default, a key in watch mode ("Press h"). */
export async function revealNextHint(kata: Kata, again = `Run npm run hint -- ${kata.number} again`): Promise<string> {
  const hints = parseHints(await readLesson(testsRoot(), kata))
  if (hints.length === 0) return `The lesson of ${kata.folder} has no hints.`
  const state = await readState()
  const before = state.hintsShown[kata.folder] ?? 0
  const now = Math.min(before + 1, hints.length)
  state.hintsShown[kata.folder] = now
  await writeState(state)

  const earlier = hints.slice(0, now - 1).map((hint) => dim(`  (seen) ${hint.title}`))
  const hint = hints[now - 1]!
  const footer =
    before >= hints.length
      ? `That was the last hint for ${kata.folder}. The lesson has the rest; the reference solution opens once the kata passes (npm run solution -- ${kata.number}).`
      : now < hints.length
        ? `Hint ${now} of ${hints.length}. ${again} for the next one.`
        : `Hint ${now} of ${hints.length}, the last one.`
  return [...earlier, `${bold(hint.title)}`, '', terminalText(hint.body), '', dim(footer)].join('\n')
}

export const NO_HINTS_LEFT = 'Every kata passes; there are no hints left to give.'

/** Markdown for a terminal: the code marks and emphasis go, the line breaks stay. */
function terminalText(markdown: string): string {
  return markdown.replace(/`([^`]*)`/g, '$1').replace(/\*\*([^*]+)\*\*/g, '$1')
}
