/** grades.csv: one row per submission, one column per kata, the total, and why anything could not be graded. */
import type { Calibration } from '../calibration.ts'
import type { SubmissionGrade } from '../grade-submission.ts'

/** RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; lines end in CRLF. */
export function csvField(value: string | number): string {
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function gradesCsv(calibration: Calibration, grades: SubmissionGrade[]): string {
  const header = ['submission', ...calibration.katas.map((kata) => kata.kata), 'total', 'status']
  const rows = grades.map((grade) => [grade.submission, ...grade.katas.map((kata) => kata.points), grade.points, statusOf(grade)])
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n'
}

/** "" when every kata was graded; otherwise each kata that could not be, with its reason. */
export function statusOf(grade: SubmissionGrade): string {
  return grade.katas
    .filter((kata) => kata.problem)
    .map((kata) => `${kata.kata}: ${kata.problem!.reason}`)
    .join('; ')
}
