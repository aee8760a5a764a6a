import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { learnerFileTrigger } from './harness/kata-process/learner-file-trigger.ts'
import { testRealmGuard } from './harness/kata-process/test-realm-guard.ts'
import { implementationRoot, testsRoot } from './harness/paths.ts'

const tests = testsRoot()

export default defineConfig({
  plugins: [testRealmGuard(tests)],
  // Kata tests import the harness as #harness/..., wherever they live (an instructor's --tests folder too).
  resolve: { alias: [{ find: /^#harness\//, replacement: fileURLToPath(new URL('./harness/', import.meta.url)) }] },
  test: {
    pool: 'threads',
    // Socket tests mostly wait on the kernel, so every core gets a worker (Vitest's default leaves one idle).
    maxWorkers: Math.max(2, availableParallelism()),
    // The tests reach the learner's files through the kata process, not by import: in watch mode
    // (npm run ui) a saved kata file re-runs its kata's tests by this rule.
    watchTriggerPatterns: [learnerFileTrigger(implementationRoot(), tests)],
    projects: [
      {
        extends: true,
        test: {
          name: 'katas',
          root: tests,
          include: ['*/*.test.ts'],
          // The learner's code runs in kata processes, never in the test worker: there is nothing of it to
          // keep apart between test files, and a worker that keeps its modules saves about a second a run.
          isolate: false,
          setupFiles: [fileURLToPath(new URL('./harness/lifecycle/socket-test-setup.ts', import.meta.url))],
        },
      },
      {
        extends: true,
        test: { name: 'harness', include: ['harness/**/*.test.ts', 'tools/**/*.test.ts', 'grader/**/*.test.ts', 'learner/**/*.test.ts'], exclude: ['**/*.e2e.test.ts'] },
      },
      {
        extends: true,
        // The grader graded end to end: real runs of whole classes of fixture submissions, minutes not seconds.
        test: { name: 'grader', include: ['grader/**/*.e2e.test.ts'], testTimeout: 600_000, hookTimeout: 120_000, maxWorkers: 1 },
      },
      {
        extends: true,
        // The learner's commands driven as a learner would, in copies of the project, through a terminal.
        test: { name: 'learner', include: ['learner/**/*.e2e.test.ts'], testTimeout: 120_000, maxWorkers: 1 },
      },
    ],
  },
})
