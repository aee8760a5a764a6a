/**
 * The course snippet: one PrairieLearn question per kata, ready to copy into a course's questions/,
 * and a zone with their points for an assessment's infoAssessment.json. The same inputs give the same
 * bytes (UUIDs are derived from the kata, nothing is dated), so two builds can be diffed.
 *
 * Formats: question info.json (https://github.com/PrairieLearn/PrairieLearn/blob/master/docs/question/overview.md,
 * schema apps/prairielearn/src/schemas/schemas/infoQuestion.json: uuid, type "v3", title, topic required;
 * gradingMethod "External" with externalGradingOptions image, entrypoint as an array, timeout at most 600),
 * question.html after exampleCourse/questions/demo/autograder/codeUpload (pl-file-upload file-names,
 * pl-external-grader-results), and assessment zones (docs/assessment/configuration.md: questions[] of id
 * and autoPoints).
 */
import { createHash } from 'node:crypto'
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { listKatas, type Kata } from '../../../harness/katas.ts'
import { katasDir, solutionsDir } from '../../../harness/paths.ts'
import { GRADER_DIR, NODE_IN_IMAGE } from '../../image.ts'
import { DEFAULT_KATA_POINTS, readPointsManifest } from '../../manifest.ts'

/** Where the questions go in a course: questions/socket-katas/01-bind, question id "socket-katas/01-bind". */
export const QUESTIONS_FOLDER = 'socket-katas'
export const ENTRYPOINT_IN_IMAGE = `${GRADER_DIR}/grader/platforms/prairielearn/entrypoint.ts`
/** In a question's tests/ (/grade/tests in the job): the kata's reference solution, laid out like solutions/. */
export const REFERENCE_FOLDER = 'reference'

export interface SnippetOptions {
  image: string
  /** tsx's loader in the image, for Node's --import. */
  tsxLoader: string
  /** One test run's wall-clock limit, in seconds. */
  runTimeoutSeconds: number
  /** An instructor's tests folder (hidden tests): each question gets its kata's folder in tests/. */
  testsRoot?: string
}

/** PrairieLearn's own limit for a grading job. */
const PRAIRIELEARN_MAX_TIMEOUT = 600

export async function writeCourseSnippet(dir: string, options: SnippetOptions): Promise<void> {
  const testsRoot = options.testsRoot ?? katasDir
  const katas = listKatas(testsRoot)
  const points = await readPointsManifest(testsRoot)
  await rm(dir, { recursive: true, force: true })
  for (const kata of katas) {
    const question = join(dir, 'questions', QUESTIONS_FOLDER, kata.folder)
    const title = await lessonTitle(testsRoot, kata)
    await mkdir(question, { recursive: true })
    await writeFile(join(question, 'info.json'), json(questionInfo(kata, title, options)))
    await writeFile(join(question, 'question.html'), questionHtml(kata, title))
    if (options.testsRoot) await copyHiddenTests(options.testsRoot, kata, join(question, 'tests'))
    await copyReference(kata, join(question, 'tests', REFERENCE_FOLDER))
  }
  const zone = {
    title: 'Socket katas',
    questions: katas.map((kata) => ({ id: `${QUESTIONS_FOLDER}/${kata.folder}`, autoPoints: points.get(kata.folder) ?? DEFAULT_KATA_POINTS })),
  }
  await writeFile(join(dir, 'assessment-zone.json'), json(zone))
  await writeFile(join(dir, 'README.md'), readme(options, katas))
}

/**
 * The whole limit of a job: calibration, the shared run (half a run's limit) and the kata's own run,
 * with room for the container's start; a kata that hangs then still gets its own results, with the reason.
 */
export function jobTimeoutSeconds(runTimeoutSeconds: number): number {
  return Math.min(PRAIRIELEARN_MAX_TIMEOUT, Math.ceil(3 * runTimeoutSeconds + 30))
}

export function entrypoint(kata: Kata, options: Pick<SnippetOptions, 'tsxLoader' | 'runTimeoutSeconds'>): string[] {
  return [NODE_IN_IMAGE, '--import', options.tsxLoader, ENTRYPOINT_IN_IMAGE, '--kata', kata.folder, '--timeout', String(options.runTimeoutSeconds)]
}

function questionInfo(kata: Kata, title: string, options: SnippetOptions): object {
  return {
    uuid: uuidFor(kata),
    type: 'v3',
    title,
    topic: 'Socket programming',
    tags: ['socket-katas'],
    singleVariant: true,
    gradingMethod: 'External',
    externalGradingOptions: {
      image: options.image,
      entrypoint: entrypoint(kata, options),
      timeout: jobTimeoutSeconds(options.runTimeoutSeconds),
    },
  }
}

function questionHtml(kata: Kata, title: string): string {
  return `<pl-question-panel>
  <p><strong>${escapeHtml(title)}</strong></p>
  <p>
    Upload your <code>${kata.implementationFile}</code> (<code>katas/${kata.folder}/${kata.implementationFile}</code>
    in your copy of socket-katas). It is graded by the same tests as <code>npm test -- ${kata.number}</code>, on real sockets.
  </p>
  <pl-file-upload file-names="${kata.implementationFile}"></pl-file-upload>
</pl-question-panel>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
`
}

async function lessonTitle(testsRoot: string, kata: Kata): Promise<string> {
  const lesson = await readFile(join(testsRoot, kata.folder, 'README.md'), 'utf8').catch(() => '')
  return /^# (.+)$/m.exec(lesson)?.[1]?.trim() ?? `Kata ${kata.number} · ${kata.slug}`
}

/**
 * The kata's reference solution, which each job calibrates against, in the question's tests/ folder:
 * PrairieLearn mounts it at /grade/tests and never serves it to students (the image is public).
 */
async function copyReference(kata: Kata, target: string): Promise<void> {
  await mkdir(join(target, kata.folder), { recursive: true })
  await cp(join(solutionsDir, kata.folder, kata.implementationFile), join(target, kata.folder, kata.implementationFile))
}

/** The kata's folder (tests, stub, lesson) and the points manifest, as the entry point looks for them in /grade/tests. */
async function copyHiddenTests(testsRoot: string, kata: Kata, target: string): Promise<void> {
  await cp(join(testsRoot, kata.folder), join(target, kata.folder), { recursive: true })
  await cp(join(testsRoot, 'grading.json'), join(target, 'grading.json')).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
}

/** A name-based UUID (version 5 layout) of the kata: the same question keeps its identity across builds. */
function uuidFor(kata: Kata): string {
  const bytes = createHash('sha1').update(`socket-katas/prairielearn/${kata.folder}`).digest().subarray(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x50
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

function readme(options: SnippetOptions, katas: Kata[]): string {
  return `# socket-katas questions for PrairieLearn

One externally graded question per kata (${katas.length}), graded by the image \`${options.image}\`.

1. Push the image where PrairieLearn pulls from: \`docker push ${options.image}\`
   (PrairieLearn pulls images from Docker Hub; build with \`--image youraccount/name\`).
2. Copy \`questions/${QUESTIONS_FOLDER}/\` into your course's \`questions/\`.
3. Add the zone in \`assessment-zone.json\` to an assessment's \`infoAssessment.json\` (\`"zones": [...]\`):
   it lists each question with its points.
4. Sync the course, and sync the image on the course's "Sync" page.

A student uploads the kata's file (\`bind.ts\` for 01-bind); the grader runs the kata's tests against it
and shows each test's points and the same feedback as \`npm test\`. Each test run may take
${options.runTimeoutSeconds} s; the whole job, ${jobTimeoutSeconds(options.runTimeoutSeconds)} s.

Each question's \`tests/${REFERENCE_FOLDER}/\` holds the kata's reference solution: every job grades it first, in
the same container, so a test that container cannot make is skipped for the student too, never failed.
It must stay in the course repository (PrairieLearn never serves \`tests/\` to students), never in the
public image, and students must not be given the course repository.
${
  options.testsRoot
    ? `
Each question's \`tests/\` folder holds your own tests for its kata: they stay in your course repository
(the image is public) and are shown to students as passed or failed only.
`
    : `
Hidden tests: put a kata's folder from your own tests (laid out like \`katas/\`: \`01-bind/bind.test.ts\`,
the stub \`bind.ts\`, \`README.md\`; \`grading.json\` beside it) in the question's \`tests/\`, or build with
\`--tests DIR\`, which does it for you. They stay in your course repository, never in the public image.
`
}`
}
