/**
 * npm run verify: the project's own tests. Every kata test must mean something: it passes against
 * the reference solutions, fails against the stubs, and each wrong implementation in fixtures/wrong
 * fails its kata with a message that names the mistake. Types and the harness's unit tests too.
 *
 * npm run verify -- --kata 08 [--kata 09]: only those katas' checks (types included), for work on a
 * kata; the harness, learner and grader suites need the whole run.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import { bold, dim, green, red } from '../harness/reporting/colors.ts'
import { mapWithConcurrency } from '../harness/concurrency.ts'
import { kataOfTestFile, listKatas, type Kata } from '../harness/katas.ts'
import { kataFromArgument } from '../learner/kata-arg.ts'
import { normaliseTestName, parseTestDescriptions, readLesson } from '../harness/reporting/lessons.ts'
import { describeViolation, HOW_TO_FIX, lintLessonFigures } from '../harness/reporting/lesson-figures.ts'
import { katasDir, projectRoot, solutionsDir, stubsDir } from '../harness/paths.ts'
import { NOT_IMPLEMENTED } from '../harness/reporting/progress.ts'
import { ensureDevDependencies } from '../harness/dev-dependencies.ts'
import { runCommand } from '../harness/run-command.ts'
import { runKataTests, vitestBin, type KataRunReport, type TestResult } from '../harness/run-katas.ts'
import { gradingNode } from '../grader/grading-node.ts'
import { formatDuration } from '../harness/lifecycle/within.ts'

const wrongDir = join(projectRoot, 'fixtures', 'wrong')
const MIN_WRONG_PER_KATA = 3

interface StepResult {
  ok: boolean
  summary: string
  details: string[]
}

const { values: args } = parseArgs({ options: { kata: { type: 'string', multiple: true } } })
const allKatas = listKatas(katasDir)
const katas = args.kata ? args.kata.map((argument) => kataFromArgument(argument, 'verify')) : allKatas
/** The steps that are not about some katas: skipped when --kata names some. */
const WHOLE_PROJECT = 'whole project'

const steps: [string, () => Promise<StepResult>, typeof WHOLE_PROJECT?][] = [
  ['types (tsc, strict)', checkTypes],
  ['harness unit tests', () => checkProject('harness'), WHOLE_PROJECT],
  ['every test passes against solutions/', () => checkSolutions()],
  ['katas/ holds the stubs as shipped (harness/stubs)', checkStubsShipped],
  ['every test fails against the stubs', () => checkStubs()],
  ['as a user who is not root (nobody): solutions pass, stubs fail', checkAsUnprivilegedUser],
  ['every wrong implementation in fixtures/wrong fails its kata, naming the mistake', checkWrongImplementations],
  ['every test is described in its kata\'s lesson (What the tests check), and the lesson\'s "Done when" counts them all', checkLessonsDescribeTests],
  ['every figure a lesson quotes in What the tests check (bounds, timeouts, sizes) is one its tests use', checkLessonFigures],
  ['the learner\'s commands, driven as a learner would (a terminal, a browser)', () => checkProject('learner'), WHOLE_PROJECT],
  [
    'the grader, in process and docker isolation: every fixture submission (hostile ones too) graded exactly, in every output format; ' +
      'an attacker beside three classmates costs them nothing; a hanging class never outlives its limits',
    () => checkProject('grader'),
    WHOLE_PROJECT,
  ],
]

async function main(): Promise<void> {
  const only = katas.length < allKatas.length
  console.log(bold(`Verifying socket-katas: ${only ? katas.map((kata) => kata.folder).join(', ') : `${katas.length} katas`}`))
  await ensureDevDependencies('verify type-checks the grader and tools/, and tests docker isolation and the browser UI')
  let allOk = true
  for (const [name, check, scope] of steps) {
    if (only && scope === WHOLE_PROJECT) {
      console.log(dim(`- ${name}: not run with --kata`))
      continue
    }
    const started = performance.now()
    const result = await check().catch((error: Error) => ({ ok: false, summary: 'could not run', details: [error.stack ?? error.message] }))
    allOk &&= result.ok
    const took = dim(formatDuration(performance.now() - started))
    console.log(`${result.ok ? green('✔') : red('✘')} ${name}: ${result.summary} ${took}`)
    for (const line of result.details) console.log(`    ${line.replaceAll('\n', '\n    ')}`)
  }
  console.log(allOk ? green('\nAll checks passed.') : red('\nSome checks failed (see above).'))
  process.exitCode = allOk ? 0 : 1
}

async function checkTypes(): Promise<StepResult> {
  const tsc = join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc')
  const { exitCode, output } = await runCommand(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'])
  const errors = output.split('\n').filter((line) => line.includes('error TS'))
  return exitCode === 0
    ? { ok: true, summary: 'no errors', details: [] }
    : { ok: false, summary: `${errors.length} errors`, details: errors.length > 0 ? errors : [output] }
}

async function checkSolutions(user?: User): Promise<StepResult> {
  const report = await runKataTests({ implementationRoot: solutionsDir, user, katas: katas.map((kata) => kata.folder) })
  const failed = report.tests.filter((test) => test.state === 'failed')
  const skipped = report.tests.filter((test) => test.state === 'skipped')
  const details = [
    ...report.fileErrors.map(({ kata, message }) => `${kata}: the test file failed to run: ${message}`),
    ...failed.map((test) => `${test.kata} › ${test.name}\n  ${firstLine(test.failureMessages[0])}`),
    ...skipped.map((test) => dim(`skipped here: ${test.kata} › ${test.name}`)),
  ]
  const ok = failed.length === 0 && report.fileErrors.length === 0 && report.tests.length > 0
  return { ok, summary: `${report.tests.length - failed.length - skipped.length}/${report.tests.length} passed`, details }
}

async function checkStubs(user?: User): Promise<StepResult> {
  const report = await runKataTests({ implementationRoot: stubsDir, user, katas: katas.map((kata) => kata.folder) })
  const passed = report.tests.filter((test) => test.state === 'passed')
  // A stub failure that is not the stub's own error means the test failed before calling the learner's code.
  const notTheStub = report.tests.filter((test) => test.state === 'failed' && !test.failureMessages[0]?.includes(NOT_IMPLEMENTED))
  const details = [
    ...passed.map((test) => `passes against the stub, so it proves nothing: ${test.kata} › ${test.name}`),
    ...notTheStub.map((test) => `fails against the stub, but not with its "${NOT_IMPLEMENTED}" error: ${test.kata} › ${test.name}\n  ${firstLine(test.failureMessages[0])}`),
    ...report.fileErrors.map(({ kata, message }) => `${kata}: the test file failed to run: ${message}`),
  ]
  const failed = report.tests.filter((test) => test.state === 'failed').length
  return { ok: details.length === 0, summary: `${failed}/${report.tests.length} failed, each with the stub's error`, details }
}

/** A Vitest project of the project's own tests; a skip (no Docker engine, no Chromium here) is shown with its reason. */
async function checkProject(project: string): Promise<StepResult> {
  const args = [vitestBin, 'run', '--project', project, '--reporter=verbose']
  const { exitCode, output } = await runCommand(process.execPath, args, { env: { ...process.env, NO_COLOR: '1' } })
  const counts = /Tests\s+(.*)/.exec(output)?.[1]?.trim() ?? 'no summary'
  const skipped = output.split('\n').filter((line) => line.includes('↓')).map((line) => dim(`skipped: ${line.replace(/^.*↓\s*/, '')}`))
  return { ok: exitCode === 0, summary: counts, details: exitCode === 0 ? skipped : [output.trim()] }
}

/** The lesson's bullets are what a failure quotes to the learner: every test needs one. */
async function checkLessonsDescribeTests(): Promise<StepResult> {
  const { output } = await runCommand(process.execPath, [vitestBin, 'list', '--project', 'katas', '--json'], { env: { ...process.env, NO_COLOR: '1' } })
  const tests = JSON.parse(output.slice(output.indexOf('['))) as { name: string; file: string }[]
  const missing: string[] = []
  let counted = 0
  for (const kata of katas) {
    const descriptions = parseTestDescriptions(await readLesson(katasDir, kata))
    const kataTests = tests.filter((t) => kataOfTestFile(t.file)?.folder === kata.folder)
    counted += kataTests.length
    for (const test of kataTests) {
      const title = test.name.split(' > ').at(-1)!
      if (!descriptions.has(normaliseTestName(title))) missing.push(`${kata.folder}/README.md has no "**${title}**" bullet`)
    }
    const promised = promisedLine(await readLesson(katasDir, kata), kata)
    if (promised !== `all ${kataTests.length} tests pass`) {
      missing.push(`${kata.folder}/README.md: its "Done when" line should quote \`✔ ${kata.folder}  all ${kataTests.length} tests pass\`; it has ${promised ? `"${promised}"` : 'none'}`)
    }
  }
  return { ok: missing.length === 0, summary: `${counted - missing.length}/${counted} described`, details: missing }
}

/** What a lesson's opening says the reporter prints once the kata is done ("all 9 tests pass"). */
function promisedLine(lesson: string, kata: Kata): string | undefined {
  const doneWhen = /^- \*\*Done when\*\*[\s\S]*?(?=\n\n|\n- |\n#|$)/m.exec(lesson)?.[0] ?? ''
  return new RegExp(`\`✔ ${kata.folder} {2}(all \\d+ tests pass)`).exec(doneWhen)?.[1]
}

/** A bound the lesson quotes but the tests do not use teaches the wrong number (review E2). */
async function checkLessonFigures(): Promise<StepResult> {
  const violations = await lintLessonFigures(katasDir, katas)
  const details = violations.length > 0 ? [...violations.map(describeViolation), HOW_TO_FIX] : []
  return { ok: violations.length === 0, summary: `${violations.length} figures the tests do not use, in ${katas.length} lessons`, details }
}

type User = { uid: number; gid: number }

/** A learner's katas/ is theirs to change; this repository's must be the stubs npm run reset puts back. */
async function checkStubsShipped(): Promise<StepResult> {
  const differing: string[] = []
  for (const kata of katas) {
    const shipped = await readFile(join(stubsDir, kata.folder, kata.implementationFile), 'utf8').catch(() => undefined)
    const inKatas = await readFile(join(katasDir, kata.folder, kata.implementationFile), 'utf8').catch(() => undefined)
    if (shipped === undefined) differing.push(`harness/stubs/${kata.folder}/${kata.implementationFile} is missing`)
    else if (shipped !== inKatas) differing.push(`katas/${kata.folder}/${kata.implementationFile} differs from harness/stubs/${kata.folder}/${kata.implementationFile}`)
  }
  return { ok: differing.length === 0, summary: `${katas.length - differing.length}/${katas.length} identical`, details: differing }
}

/** Some checks (EACCES below port 1024) skip for root; CI runs as root, so run them again as nobody. */
async function checkAsUnprivilegedUser(): Promise<StepResult> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    return { ok: true, summary: 'not needed: these checks already ran as a user who is not root', details: [] }
  }
  const nobody = { uid: 65534, gid: 65534 }
  const canRead = await runCommand(process.execPath, ['-e', 'require("node:fs").accessSync(process.argv[1])', vitestBin], nobody)
    .catch(() => ({ exitCode: 1 })) // spawning fails outright when nobody cannot enter the project folder
  if (canRead.exitCode !== 0) {
    return { ok: true, summary: `skipped: the user nobody cannot read ${projectRoot} (check its folders' permissions)`, details: [] }
  }
  const [solutions, stubs] = [await checkSolutions(nobody), await checkStubs(nobody)]
  return {
    ok: solutions.ok && stubs.ok,
    summary: `solutions ${solutions.summary}; stubs ${stubs.summary}`,
    details: [...solutions.details, ...stubs.details],
  }
}

interface WrongImplementation {
  kata: Kata
  name: string
  file: string
  /** From the fixture's "// Caught by:" line: a failure message must contain it. */
  caughtBy: string
}

async function checkWrongImplementations(): Promise<StepResult> {
  const wrong = await listWrongImplementations()
  const details: string[] = []
  for (const kata of katas) {
    const count = wrong.filter((w) => w.kata === kata).length
    if (count < MIN_WRONG_PER_KATA) details.push(`${kata.folder} has ${count} wrong implementations; keep at least ${MIN_WRONG_PER_KATA}`)
  }
  const here = await tryInRounds(wrong)
  // A kata whose tests all skip on this Node (it needs a newer Node's feature) is tried on the Node the grader grades with.
  const skipped = here.filter(({ verdict }) => verdict === SKIPPED_HERE).map(({ wrong }) => wrong)
  const node = skipped.length > 0 ? await gradingNode() : undefined
  const verdicts = node?.instead ? [...here.filter(({ verdict }) => verdict !== SKIPPED_HERE), ...(await tryInRounds(skipped, node.path))] : here
  const failures = verdicts.flatMap(({ wrong, verdict }) => (verdict === undefined ? [] : [verdict === SKIPPED_HERE ? `${labelOf(wrong)}: ${SKIPPED_HERE}` : verdict]))
  details.push(...failures)
  const caught = wrong.length - failures.length
  const onOtherNode = node?.instead ? `; ${skipped.length} of them on Node ${node.version}, as ${node.instead}` : ''
  return { ok: details.length === 0, summary: `${caught}/${wrong.length} caught, in ${inRounds(wrong).length} runs${onOtherNode}`, details }
}

/** Each wrong implementation with what its round's run said of it (undefined: caught as it should be). */
async function tryInRounds(wrong: WrongImplementation[], node?: string): Promise<{ wrong: WrongImplementation; verdict: string | undefined }[]> {
  const rounds = inRounds(wrong)
  const verdicts = await mapWithConcurrency(rounds, 2, (round) => runRound(round, node))
  return rounds.flatMap((round, r) => round.map((w, i) => ({ wrong: w, verdict: verdicts[r]![i] })))
}

function labelOf(wrong: WrongImplementation): string {
  return `${wrong.kata.folder}/${wrong.name}`
}

/** A wrong implementation whose kata's tests all skipped: this Node cannot tell. */
const SKIPPED_HERE = 'every test of its kata skipped on this Node'

async function listWrongImplementations(): Promise<WrongImplementation[]> {
  const found: WrongImplementation[] = []
  for (const kata of katas) {
    const folder = join(wrongDir, kata.folder)
    const files = (await readdir(folder).catch(() => [])).filter((file) => file.endsWith('.ts')).sort()
    for (const file of files) {
      const source = await readFile(join(folder, file), 'utf8')
      const caughtBy = /^\/\/ Caught by: (.+)$/m.exec(source)?.[1]?.trim()
      if (!caughtBy) throw new Error(`fixtures/wrong/${kata.folder}/${file} has no "// Caught by: <text of the failure>" line`)
      found.push({ kata, name: basename(file, '.ts'), file: join(folder, file), caughtBy })
    }
  }
  return found
}

/** Round i holds the i-th wrong implementation of every kata: one Vitest run tests one per kata. */
function inRounds(wrong: WrongImplementation[]): WrongImplementation[][] {
  const rounds: WrongImplementation[][] = []
  for (const kata of katas) {
    wrong.filter((w) => w.kata === kata).forEach((w, i) => (rounds[i] ??= []).push(w))
  }
  return rounds
}

/** Runs one round in a folder laid out like katas/, and says what each wrong implementation got away with. */
async function runRound(round: WrongImplementation[], node?: string): Promise<(string | undefined)[]> {
  const implementationRoot = await mkdtemp(join(tmpdir(), 'socket-katas-wrong-'))
  try {
    for (const wrong of round) {
      await mkdir(join(implementationRoot, wrong.kata.folder))
      await cp(wrong.file, join(implementationRoot, wrong.kata.folder, wrong.kata.implementationFile))
    }
    const report = await runKataTests({ implementationRoot, katas: round.map((w) => w.kata.folder), node })
    return round.map((wrong) => verdictOn(wrong, report))
  } finally {
    await rm(implementationRoot, { recursive: true, force: true })
  }
}

function verdictOn(wrong: WrongImplementation, report: KataRunReport): string | undefined {
  const label = labelOf(wrong)
  const fileError = report.fileErrors.find((error) => error.kata === wrong.kata.folder)
  if (fileError) return `${label}: the test file failed to run at all: ${firstLine(fileError.message)}`
  const tests = report.tests.filter((test) => test.kata === wrong.kata.folder)
  if (tests.length > 0 && tests.every((test) => test.state === 'skipped')) return SKIPPED_HERE
  const failed: TestResult[] = tests.filter((test) => test.state === 'failed')
  if (failed.length === 0) return `${label}: passes every test; the tests are too weak to catch it`
  const messages = failed.flatMap((test) => test.failureMessages)
  if (messages.some((message) => message.includes(wrong.caughtBy))) return undefined
  return `${label}: fails ${failed.length} tests, but no failure says "${wrong.caughtBy}"; first: ${firstLine(messages[0])}`
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0] ?? ''
}

await main()
