/**
 * The Vitest configuration Stryker runs (stryker.config.mjs): vitest.config.ts's katas project alone,
 * as `--project katas` would select it, with KATA_IMPL set to the solutions/ beside this file. Stryker
 * runs from a sandbox copy of the project (.stryker-tmp/sandbox-...), so that is the sandbox's
 * instrumented solutions/, whatever directory `npm run mutate` was typed in (INIT_CWD).
 */
import { fileURLToPath } from 'node:url'
import type { UserWorkspaceConfig } from 'vitest/config'

process.env.KATA_IMPL = fileURLToPath(new URL('../../solutions/', import.meta.url))
// vitest.config.ts reads KATA_IMPL as it loads, so it is loaded only now.
const { default: config } = await import('../../vitest.config.ts')

const isKatasProject = (project: unknown) => (project as UserWorkspaceConfig | undefined)?.test?.name === 'katas'

export default {
  ...config,
  test: { ...config.test, projects: (config.test?.projects ?? []).filter(isKatasProject) },
}
