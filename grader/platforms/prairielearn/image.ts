/**
 * npm run grade:prairielearn-image [-- --image NAME] [--tests DIR] [--course-snippet DIR] [--timeout SECONDS]:
 * builds PrairieLearn's external grader image offline, like the grading image (grader/image.ts: no
 * base image, this project's grading Node and tools), plus an entry point (entrypoint.ts); then writes
 * the course snippet (course-snippet.ts), whose questions hold the reference solutions each job
 * calibrates against: never the image, which PrairieLearn pulls from Docker Hub, in public. PrairieLearn runs the question's `entrypoint` as argv, without a
 * shell (apps/grader-host/src/index.ts: `Entrypoint: shlex.split(entrypoint)`), so the image needs none.
 */
import { realpathSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { formatDuration } from '../../../harness/lifecycle/within.ts'
import { projectRoot, typedFrom } from '../../../harness/paths.ts'
import { green } from '../../../harness/reporting/colors.ts'
import { buildImage, GRADER_DIR, NODE_IN_IMAGE, type ImageRecipe } from '../../image.ts'
import { PLATFORM_DEFAULTS } from '../grade-one.ts'
import { ENTRYPOINT_IN_IMAGE, writeCourseSnippet } from './course-snippet.ts'

export const DEFAULT_PRAIRIELEARN_IMAGE = 'socket-katas-prairielearn'
/**
 * One test run's limit. A kata's suite takes seconds, yet on a busy host (PrairieLearn gives a job 0.9
 * of a core) a run of the reference solution that times out leaves the question ungradable.
 */
export const DEFAULT_RUN_TIMEOUT_SECONDS = PLATFORM_DEFAULTS.timeoutSeconds

/** tsx's loader (the grader is TypeScript that Node's type stripping alone cannot run), where the image holds it. */
export const TSX_LOADER_IN_IMAGE = `${GRADER_DIR}/node_modules/${relative(realpathSync(join(projectRoot, 'node_modules')), fileURLToPath(import.meta.resolve('tsx')))}`

export const PRAIRIELEARN_RECIPE: ImageRecipe = {
  dockerfile: `FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/scratch TMPDIR=/scratch LANG=C.UTF-8 NO_COLOR=1
WORKDIR ${GRADER_DIR}
ENTRYPOINT ["${NODE_IN_IMAGE}", "--import", "${TSX_LOADER_IN_IMAGE}", "${ENTRYPOINT_IN_IMAGE}"]
`,
  // Not solutions/: PrairieLearn pulls the image from Docker Hub, public; each question's tests/ holds its reference.
  extraEntries: ['tools/node-binary.ts'],
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      image: { type: 'string', default: DEFAULT_PRAIRIELEARN_IMAGE },
      tests: { type: 'string' },
      'course-snippet': { type: 'string', default: 'prairielearn-course' },
      timeout: { type: 'string', default: String(DEFAULT_RUN_TIMEOUT_SECONDS) },
    },
  })
  const started = performance.now()
  const fromCwd = (path: string) => resolve(typedFrom(), path)
  const runTimeoutSeconds = Number(values.timeout)
  if (!(runTimeoutSeconds > 0)) throw new Error(`--timeout must be a number of seconds, not ${values.timeout}`)
  await buildImage(values.image!, console.log, PRAIRIELEARN_RECIPE)
  const snippet = fromCwd(values['course-snippet']!)
  await writeCourseSnippet(snippet, {
    image: values.image!,
    tsxLoader: TSX_LOADER_IN_IMAGE,
    runTimeoutSeconds,
    testsRoot: values.tests ? fromCwd(values.tests) : undefined,
  })
  console.log(green(`Built ${values.image} in ${formatDuration(performance.now() - started)}; the course snippet is in ${snippet} (its README says what to do).`))
}
