/**
 * What a kata's lesson (its README.md) says, for the tools: the hints (collapsed <details> blocks
 * under "## Hints") and each test's description (the bullets under "## What the tests check", each
 * starting with the test's name in bold).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Kata } from '../katas.ts'

export interface Hint {
  title: string
  body: string
}

export async function readLesson(testsRoot: string, kata: Kata): Promise<string> {
  return readFile(join(testsRoot, kata.folder, 'README.md'), 'utf8').catch(() => '')
}

export function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}`)
  if (start < 0) return ''
  const rest = markdown.slice(start + heading.length + 4)
  const end = rest.search(/\n## /)
  return end < 0 ? rest : rest.slice(0, end)
}

export function parseHints(markdown: string): Hint[] {
  return [...section(markdown, 'Hints').matchAll(/<details>\s*<summary>(.*?)<\/summary>([\s\S]*?)<\/details>/g)].map(([, title, body]) => ({
    title: title!.trim(),
    body: body!.trim(),
  }))
}

/** Test descriptions by normalised test name. */
export function parseTestDescriptions(markdown: string): Map<string, string> {
  const descriptions = new Map<string, string>()
  const bullets = section(markdown, 'What the tests check').split(/\n- /).slice(1)
  for (const bullet of bullets.map(withoutFollowingParagraphs)) {
    const match = /^\*\*([\s\S]+?)\*\*[^:]*:\s*([\s\S]*)$/.exec(bullet.trim())
    if (match) descriptions.set(normaliseTestName(match[1]!), plainText(match[2]!))
  }
  return descriptions
}

/** A list's last bullet ends where a paragraph starts at the margin after a blank line. */
function withoutFollowingParagraphs(bullet: string): string {
  const end = bullet.search(/\n[ \t]*\n(?=\S)/)
  return end < 0 ? bullet : bullet.slice(0, end)
}

/** Test names as the lesson and the tests both spell them: numbers (and the lesson's N) count as one placeholder. */
export function normaliseTestName(name: string): string {
  return name
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/\b(\d+|n)\b/g, '#')
    .replace(/\s+/g, ' ')
    .trim()
}

/** Markdown as a terminal shows it: no backticks, no emphasis markers, one line. */
function plainText(markdown: string): string {
  return markdown
    .replace(/\s*\n\s*/g, ' ')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/\*([^*]+)\*/g, '$1')
    .trim()
}
