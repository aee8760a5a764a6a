/**
 * Errors nobody handled in the test process while a test ran: on the test's own sockets (the
 * learner's code runs in the kata process, which reports its own). The test's sockets are meant to
 * handle every error, so one here is usually caused by what the learner's code did to a connection.
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
    "The test's own sockets met an error the test did not expect, probably caused by what your code did to the connection:",
    ...lines,
  ].join('\n')
}
