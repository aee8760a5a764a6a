// Mutation testing of solutions/ against the kata tests: run it with `npm run mutate` (tools/mutate.ts),
// which installs Stryker on first use (a devDependency), runs it on a pinned Node 24 and checks the survivors
// against tools/mutation/equivalent-mutants.json.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: {
    // The katas project alone, with KATA_IMPL set to the sandbox's solutions/.
    configFile: 'tools/mutation/vitest.config.ts',
    // The tests never import the solutions: each kata file runs in a kata process, bundled by the harness.
    related: false,
  },
  mutate: ['solutions/**/*.ts'],
  // Coverage crosses from the kata process to the test worker (harness/kata-process/stryker-bridge.ts).
  coverageAnalysis: 'perTest',
  // Kept out of the sandbox copies: Node binaries, reports, and what the grader and learner tools leave behind.
  ignorePatterns: ['.cache', 'reports', '.artifacts', '.socket-katas', '*.log'],
  reporters: ['json', 'html', 'progress-append-only'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  // The machine has 2 cores and the tests wait on the kernel: one test runner per core.
  concurrency: 2,
  // Every wait in the kata tests is bounded, and an endless loop in a solution ends at Stryker's hit limit,
  // so this limit only catches a wedged test runner. Too short, it is worse than useless: on a busy machine
  // (load 9 on 2 cores, measured) a surviving mutant's run outlasts 1.5 x its dry-run time + 5 s and is
  // counted a timeout, i.e. detected.
  timeoutMS: 30_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
}
