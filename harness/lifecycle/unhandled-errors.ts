/**
 * Errors nobody handled while a test ran: an 'error' event without a listener, or a rejected
 * promise nobody awaited. Outside a test either one crashes a Node program.
 */
const caught: unknown[] = []
const record = (error: unknown) => void caught.push(error)
let watching = false

export function watchUnhandledErrors(): void {
  if (watching) return
  watching = true
  process.on('uncaughtException', record)
  process.on('unhandledRejection', record)
}

/** The errors seen since the last call, oldest first. */
export function takeUnhandledErrors(): unknown[] {
  return caught.splice(0)
}

export function describeUnhandled(errors: unknown[]): string {
  const lines = errors.map((error) => {
    const { code, message } = error as NodeJS.ErrnoException
    return `  - ${code ? `${code}: ` : ''}${message ?? String(error)}`
  })
  return [
    'An error went unhandled while this test ran (a Node program would have crashed):',
    ...lines,
    "Give every socket an 'error' listener before it can fail, and settle your promise from it.",
  ].join('\n')
}
