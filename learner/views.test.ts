import { expect, test } from 'vitest'
import { sideBySide, stacked } from './views.ts'

test('sideBySide lays two texts in columns, cutting long lines', () => {
  const text = sideBySide({ heading: 'Yours', text: 'a\nbb' }, { heading: 'Reference', text: 'a very long line indeed' }, 10)
  expect(text.split('\n')).toEqual(['Yours      │ Reference', '────────── │ ──────────', 'a          │ a very lo…', 'bb         │'])
})

test('stacked puts them one after the other, underlined', () => {
  expect(stacked({ heading: 'Yours', text: 'a\n' }, { heading: 'Ref', text: 'b' })).toBe('Yours\n─────\na\n\nRef\n───\nb')
})
