import { expect, test } from 'vitest'
import { cutToWidth, wrapToWidth } from './terminal-text.ts'

test('wrapToWidth breaks long lines between words, two columns further in than the line began', () => {
  expect(wrapToWidth('    the server is listening on [::]:27682 but the test asked for 127.0.0.1', 30)).toBe(
    ['    the server is listening on', '      [::]:27682 but the test', '      asked for 127.0.0.1'].join('\n'),
  )
  expect(wrapToWidth('short\n  lines stay', 30)).toBe('short\n  lines stay')
})

test('wrapToWidth keeps colours across the break and splits only words longer than a line', () => {
  const wrapped = wrapToWidth('\x1b[2mdim words here\x1b[22m then a_word_longer_than_the_width', 12)
  expect(wrapped.split('\n')[0]).toBe('\x1b[2mdim words\x1b[22m')
  expect(wrapped.replace(/\x1b\[\d+m/g, '').split('\n').every((line) => line.length <= 12)).toBe(true)
})

test('cutToWidth cuts at a word boundary and says so', () => {
  expect(cutToWidth('        EADDRINUSE went unhandled in your code', 40)).toBe('        EADDRINUSE went unhandled in…')
  expect(cutToWidth('fits', 40)).toBe('fits')
})
