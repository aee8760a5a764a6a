import { expect, test } from 'vitest'
import { listKatas } from '../katas.ts'
import { katasDir } from '../paths.ts'
import { normaliseTestName, parseHints, parseTestDescriptions, readLesson, section } from './lessons.ts'

const lesson = `# Kata
## What the tests check

- **the kernel applies a backlog of N, as ss shows it (Send-Q)**, for N = 1, 8, 100: runs
  \`ss -Hltn\` and expects **Send-Q** to be N.
- **with its event loop stopped, a server with backlog N lets exactly backlog + 1 clients complete
  the handshake**: counts ESTAB rows.

  A second paragraph of the same bullet.

Only those two tests can skip. After every test the harness closes what the test opened.

## Hints

<details>
<summary>Hint 1: first</summary>

Look at \`listen()\`.

</details>

<details>
<summary>Hint 2: second</summary>
Pass the number.
</details>

## Going further
`

test('test descriptions are found by test name, numbers and N alike, markdown made plain', () => {
  const descriptions = parseTestDescriptions(lesson)
  expect(descriptions.get(normaliseTestName('the kernel applies a backlog of 8, as ss shows it (Send-Q)'))).toBe(
    'runs ss -Hltn and expects Send-Q to be N.',
  )
  expect(descriptions.get(normaliseTestName('with its event loop stopped, a server with backlog 5 lets exactly backlog + 1 clients complete the handshake'))).toBe(
    'counts ESTAB rows. A second paragraph of the same bullet.',
  )
})

test('hints are the collapsed blocks under ## Hints, in order', () => {
  expect(parseHints(lesson)).toEqual([
    { title: 'Hint 1: first', body: 'Look at `listen()`.' },
    { title: 'Hint 2: second', body: 'Pass the number.' },
  ])
})

test("in every kata's lesson, no test's description runs on into the paragraphs after its list", async () => {
  for (const kata of listKatas(katasDir)) {
    const lesson = await readLesson(katasDir, kata)
    const list = section(lesson, 'What the tests check')
    const afterList = list.slice(list.lastIndexOf('\n- ')).split(/\n[ \t]*\n(?=\S)/).slice(1).join(' ')
    const firstWords = afterList.trim().split(/\s+/).slice(0, 6).join(' ')
    if (!firstWords) continue
    for (const description of parseTestDescriptions(lesson).values()) expect(description, kata.folder).not.toContain(firstWords.replace(/`/g, ''))
  }
})
