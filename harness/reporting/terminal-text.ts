/** Text fitted to a terminal's width: wrapped at word boundaries, or cut with an ellipsis; colours survive both. */
import wrapAnsi from 'wrap-ansi'

/** Each line wrapped to `width` columns at word boundaries; a wrapped line goes on two columns further in than it began. */
export function wrapToWidth(text: string, width: number): string {
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line, width))
    .join('\n')
}

function wrapLine(line: string, width: number): string[] {
  if (!wraps(line, width)) return [line]
  const indent = /^ */.exec(line)![0]
  const hanging = ' '.repeat(Math.min(indent.length + 2, Math.floor(width / 2)))
  const [first, ...rest] = wrapAnsi(line.slice(indent.length), width - indent.length, { hard: true }).split('\n')
  const more = wrapAnsi(rest.join(' '), width - hanging.length, { hard: true }).split('\n')
  return [indent + first, ...more.map((part) => hanging + part)]
}

/** The line whole if it fits in `width` columns, else cut at a word boundary, with "…". */
export function cutToWidth(line: string, width: number): string {
  if (!wraps(line, width)) return line
  const [kept] = wrapAnsi(line, width - 1, { hard: true, trim: false }).split('\n')
  return `${kept!.trimEnd()}…`
}

function wraps(line: string, width: number): boolean {
  return wrapAnsi(line, width, { hard: true, trim: false }).includes('\n')
}
