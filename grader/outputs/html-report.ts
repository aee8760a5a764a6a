/**
 * report.html: the class at a glance (a row per submission, a column per kata, coloured full /
 * partial / none / could not be graded) and each submission's failures. One self-contained page:
 * no scripts, no fonts, nothing fetched.
 */
import type { Calibration } from '../calibration.ts'
import type { KataGrade, SubmissionGrade } from '../grade-submission.ts'
import { sumPoints } from '../manifest.ts'

export function htmlEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1d2330; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
.meta { color: #5b6475; margin: 0 0 1rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #d8dce4; padding: .3rem .6rem; text-align: center; }
th { background: #f3f5f8; font-weight: 600; }
td.name { text-align: left; max-width: 22rem; overflow-wrap: anywhere; }
td.full { background: #d9f2dd; } td.partial { background: #fdf1cc; } td.none { background: #f9d9d6; }
td.problem { background: #e4e6eb; color: #4a5160; } td.total { font-weight: 600; }
.legend span { display: inline-block; padding: .1rem .5rem; margin-right: .4rem; border: 1px solid #d8dce4; }
details { margin: .4rem 0; } summary { cursor: pointer; font-weight: 600; }
pre { background: #f6f7f9; border: 1px solid #e1e4ea; padding: .5rem; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 16rem; overflow: auto; }
.kata { margin: .5rem 0 .5rem 1rem; } .reason { color: #8a3b12; }
`

export function htmlReport(calibration: Calibration, grades: SubmissionGrade[], isolation: string[]): string {
  const maxTotal = sumPoints(calibration.katas.map((kata) => kata.maxPoints))
  const average = grades.length ? Math.round((grades.reduce((sum, grade) => sum + grade.points, 0) / grades.length) * 100) / 100 : 0
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>socket-katas grades</title>
<style>${STYLE}</style>
</head>
<body>
<h1>socket-katas grades</h1>
<p class="meta">${grades.length} submissions · ${calibration.katas.length} katas · ${maxTotal} points · class average ${average} · isolation: ${htmlEscape(isolation.join(', '))}</p>
<p class="legend"><span style="background:#d9f2dd">full marks</span><span style="background:#fdf1cc">partial</span><span style="background:#f9d9d6">none</span><span style="background:#e4e6eb">could not be graded</span></p>
${skippedNote(calibration)}
<table>
<thead><tr><th>Submission</th>${calibration.katas.map((kata) => `<th>${htmlEscape(kata.kata)}<br><small>${kata.maxPoints} pts</small></th>`).join('')}<th>Total<br><small>${maxTotal} pts</small></th></tr></thead>
<tbody>
${grades.map((grade, i) => classRow(grade, i)).join('\n')}
</tbody>
</table>
<h2>Submissions</h2>
${grades.map((grade, i) => details(grade, i)).join('\n')}
</body>
</html>
`
}

function classRow(grade: SubmissionGrade, index: number): string {
  const cells = grade.katas.map((kata) => {
    const title = kata.problem ? ` title="${htmlEscape(kata.problem.reason)}"` : ''
    return `<td class="${cellClass(kata)}"${title}>${kata.problem ? `${kata.points} <small>(${kata.problem.kind})</small>` : kata.points}</td>`
  })
  return `<tr><td class="name"><a href="#s${index}">${htmlEscape(grade.submission)}</a></td>${cells.join('')}<td class="total">${grade.points}</td></tr>`
}

function cellClass(kata: KataGrade): string {
  if (kata.problem) return 'problem'
  return kata.points === kata.maxPoints ? 'full' : kata.points === 0 ? 'none' : 'partial'
}

function details(grade: SubmissionGrade, index: number): string {
  const trouble = grade.katas.filter((kata) => kata.problem || kata.tests.some((test) => !test.passed))
  const body = trouble.length === 0 ? '<p>Every test passed.</p>' : trouble.map(kataDetails).join('\n')
  return `<details id="s${index}"><summary>${htmlEscape(grade.submission)}: ${grade.points} / ${grade.maxPoints}</summary>\n${body}\n</details>`
}

function kataDetails(kata: KataGrade): string {
  const heading = `<strong>${htmlEscape(kata.kata)}</strong>: ${kata.points} / ${kata.maxPoints}`
  if (kata.problem) return `<div class="kata">${heading}<p class="reason">${htmlEscape(kata.problem.reason)}</p></div>`
  const failed = kata.tests.filter((test) => !test.passed)
  const items = failed.map((test) => `<li>${htmlEscape(test.name)}<pre>${htmlEscape(test.output)}</pre></li>`).join('\n')
  return `<div class="kata">${heading}<ul>\n${items}\n</ul></div>`
}

function skippedNote(calibration: Calibration): string {
  const skipped = calibration.katas.flatMap((kata) => kata.skipped.map((test) => `${kata.kata} › ${test.name}: ${test.note}`))
  if (skipped.length === 0) return ''
  const items = skipped.map((line) => `<li>${htmlEscape(line)}</li>`).join('')
  const what = skipped.length === 1 ? '1 check this host cannot make was' : `${skipped.length} checks this host cannot make were`
  return `<details><summary>${what} skipped for everyone</summary><ul>${items}</ul></details>`
}
