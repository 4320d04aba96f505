import { describe, expect, it } from 'vitest'
import { docTitle } from './title'

describe('docTitle', () => {
  it('names the document and counts the people present', () => {
    expect(docTitle('notes', 3)).toBe('notes · 3 here · Tandem')
    expect(docTitle('notes', 1)).toBe('notes · 1 here · Tandem')
    expect(docTitle('team/notes', 0)).toBe('team/notes · Tandem')
  })
})
