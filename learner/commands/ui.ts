/**
 * npm run ui: Vitest's browser UI on the katas, at a local address this command states once the UI
 * is up. It re-runs tests as files change; Ctrl-C stops it.
 */
import { spawn } from 'node:child_process'
import getPort, { portNumbers } from 'get-port'
import { bold } from '../../harness/reporting/colors.ts'
import { projectRoot } from '../../harness/paths.ts'
import { vitestBin } from '../../harness/run-katas.ts'
import { until } from '../../harness/lifecycle/within.ts'

const host = '127.0.0.1'
const port = await getPort({ host, port: portNumbers(51204, 51220) })
const address = `http://${host}:${port}/__vitest__/`
const args = [vitestBin, '--ui', '--watch', '--project', 'katas', '--api.host', host, '--api.port', String(port), '--reporter=./harness/reporting/learner-reporter.ts']
const child = spawn(process.execPath, args, { cwd: projectRoot, stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 0))

await until(30_000, `the Vitest UI never answered at ${address}`, () =>
  fetch(address).then((response) => response.ok, () => false),
).then(
  () => console.log(`\n${bold(`The Vitest UI for the katas is at ${address}`)} (Ctrl-C stops it)\n`),
  (error: Error) => console.error(error.message),
)
