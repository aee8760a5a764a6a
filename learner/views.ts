/** Code side by side, or one after the other: how npm run solution shows the reference beside the learner's own. */

/** Two texts in two columns of `width` characters (long lines cut with …), with a heading above each. */
export function sideBySide(left: { heading: string; text: string }, right: { heading: string; text: string }, width: number): string {
  const fit = (line: string) => (line.length > width ? `${line.slice(0, width - 1)}…` : line.padEnd(width))
  const leftLines = [left.heading, '─'.repeat(width), ...expandTabs(left.text).split('\n')]
  const rightLines = [right.heading, '─'.repeat(width), ...expandTabs(right.text).split('\n')]
  const rows = Math.max(leftLines.length, rightLines.length)
  return Array.from({ length: rows }, (_, i) => `${fit(leftLines[i] ?? '')} │ ${fit(rightLines[i] ?? '')}`.trimEnd()).join('\n')
}

/** The two texts one after the other, for a narrow terminal or a log. */
export function stacked(first: { heading: string; text: string }, second: { heading: string; text: string }): string {
  return [first, second].map(({ heading, text }) => `${heading}\n${'─'.repeat(heading.length)}\n${text.trimEnd()}`).join('\n\n')
}

function expandTabs(text: string): string {
  return text.replaceAll('\t', '  ')
}
