/**
 * TypeScript for the kata process, the same on every Node from 20 on: esbuild turns the learner's
 * kata file (with any files of theirs it imports) into one CommonJS module with a source map to their
 * own lines. Bare imports other than Node's built-in modules are refused here, as the grader refuses
 * them: kata code may not reach the test framework, the harness, or anything in node_modules.
 *
 * The code crosses to the kata process over the IPC channel, so that process needs no read access
 * to the project, the learner's folder or a temporary file.
 */
import { build, type BuildFailure, type Message, type Plugin } from 'esbuild'
import { builtinModules } from 'node:module'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))

const onlyBuiltins: Plugin = {
  name: 'only-node-builtins',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, ({ path }) => {
      if (BUILTINS.has(path) || path.startsWith('node:')) return { path, external: true }
      return { errors: [{ text: `imports "${path}": kata code may import Node's built-in modules only (node:net, node:dgram, ...)` }] }
    })
  },
}

/** The bundled code; or the compiler's messages with their code frames, and the first one in a line. */
export type Bundle = { code: string } | { error: string; summary: string }

/** `file` and what it imports, as one module; or the compiler's message, "bind.ts:3:14: Expected ...". */
export async function bundle(file: string): Promise<Bundle> {
  try {
    const result = await build({
      entryPoints: [file],
      outfile: `${file}.cjs`, // never written; it makes the source map name the .ts file beside it
      write: false,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
      // The learner's (or a submission's) own tsconfig must not change what their code means.
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
      plugins: [onlyBuiltins],
    })
    return { code: result.outputFiles[0]!.text }
  } catch (error) {
    const messages = (error as BuildFailure).errors
    if (!messages) throw error
    return { error: messages.map(formatMessage).join('\n'), summary: summarise(messages[0]!) }
  }
}

/** "katas/01-bind/bind.ts:3:14: Expected ";" but found "server"", then the line and a caret under the spot. */
function formatMessage(message: Message): string {
  const { location } = message
  if (!location) return message.text
  const where = `${relative(process.cwd(), location.file) || location.file}:${location.line}:${location.column + 1}`
  const caret = `${' '.repeat(location.column)}^`
  return `${where}: ${message.text}\n    ${location.lineText}\n    ${caret}`
}

/** 'Expected ";" but found "server" (line 3)': what failed, for a one-line progress report. */
function summarise(message: Message): string {
  return message.location ? `${message.text} (line ${message.location.line})` : message.text
}

const RUNTIME_ENTRY = fileURLToPath(new URL('./runtime/main.ts', import.meta.url))
let runtime: Promise<{ file: string; code: string }> | undefined

/** The kata process's own side (runtime/), bundled once per test worker. */
export function runtimeBundle(): Promise<{ file: string; code: string }> {
  runtime ??= bundle(RUNTIME_ENTRY).then((result) => {
    if ('error' in result) throw new Error(`the kata process runtime does not compile:\n${result.error}`)
    return { file: RUNTIME_ENTRY, code: result.code }
  })
  return runtime
}
