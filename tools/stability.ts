/**
 * npm run stability [-- --runs 30 --load]: runs the whole kata suite against the solutions again and
 * again, and reports every run that did not pass. With --load, one busy-looping process per core
 * competes for the CPU the whole time, as on a loaded CI machine.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { bold, green, red } from '../harness/reporting/colors.ts'
import { runKataTests } from '../harness/run-katas.ts'
import { solutionsDir } from '../harness/paths.ts'
import { formatDuration } from '../harness/lifecycle/within.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' }, load: { type: 'boolean', default: false } } })
const runs = Number(values.runs)

function startCpuLoad(): ChildProcess[] {
  return Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
}

const burners = values.load ? startCpuLoad() : []
console.log(bold(`${runs} runs of the suite against solutions/${values.load ? `, with ${burners.length} cores kept busy` : ''}`))
let failures = 0
try {
  for (let run = 1; run <= runs; run++) {
    const started = performance.now()
    const report = await runKataTests({ implementationRoot: solutionsDir })
    const failed = report.tests.filter((test) => test.state === 'failed')
    const broken = failed.length > 0 || report.fileErrors.length > 0 || report.tests.length === 0
    failures += broken ? 1 : 0
    const took = formatDuration(performance.now() - started)
    console.log(`  run ${run}: ${broken ? red('FAILED') : green('passed')} in ${took}`)
    for (const test of failed) console.log(`    ${test.kata} › ${test.name}\n      ${test.failureMessages[0]?.split('\n')[0]}`)
    for (const { kata, message } of report.fileErrors) console.log(`    ${kata}: ${message}`)
  }
} finally {
  burners.forEach((burner) => burner.kill())
}
console.log(failures === 0 ? green(`All ${runs} runs passed.`) : red(`${failures} of ${runs} runs failed.`))
process.exitCode = failures === 0 ? 0 : 1
