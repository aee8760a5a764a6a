import { defineConfig } from 'vitest/config'
import { kataImplementation } from './harness/kata-implementation.ts'
import { implementationRoot, testsRoot } from './harness/paths.ts'
import { ProgressReporter } from './harness/progress-reporter.ts'

const tests = testsRoot()
const implementation = implementationRoot()

export default defineConfig({
  plugins: [kataImplementation(tests, implementation)],
  test: {
    pool: 'threads',
    reporters: ['default', new ProgressReporter({ implementationRoot: implementation, testsRoot: tests })],
    projects: [
      {
        extends: true,
        test: {
          name: 'katas',
          root: tests,
          include: ['*/*.test.ts'],
          setupFiles: [new URL('./harness/socket-test-setup.ts', import.meta.url).pathname],
        },
      },
      {
        extends: true,
        test: { name: 'harness', include: ['harness/**/*.test.ts', 'tools/**/*.test.ts'] },
      },
    ],
  },
})
