/** Terminal colours, only where they help: on a terminal, never with NO_COLOR, always with FORCE_COLOR. */
const enabled =
  process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0'
    ? true
    : !process.env.NO_COLOR && process.stdout.isTTY === true && process.env.TERM !== 'dumb'

const paint = (open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text)

export const bold = paint(1, 22)
export const dim = paint(2, 22)
export const red = paint(31, 39)
export const green = paint(32, 39)
export const yellow = paint(33, 39)

const terminal = process.stdout.isTTY === true && process.env.TERM !== 'dumb'

/** `text` as a link to a local file a terminal can open (OSC 8), plain text elsewhere. */
export function fileLink(text: string, absolutePath: string): string {
  return terminal ? `\x1b]8;;file://${encodeURI(absolutePath)}\x1b\\${text}\x1b]8;;\x1b\\` : text
}
