import { describe, expect, it } from 'vitest'
import { findPlaceholder, placeholderId, placeholderMarkdown } from './uploads'

describe('upload placeholders', () => {
  it('F16: a placeholder names the file, is found where it went, and whole or by its address', () => {
    const id = placeholderId()
    expect(id).toMatch(/^[0-9a-z]{12}$/)
    expect(placeholderId()).not.toBe(id)
    const placeholder = placeholderMarkdown(id, 'shot [1].png')
    expect(placeholder).toBe(`![Uploading shot \\[1\\].png…](tandem-upload:${id})`)
    const text = `Before\n${placeholder}\nafter`
    expect(findPlaceholder(text, id, 'shot [1].png')).toEqual({
      from: 7,
      to: 7 + placeholder.length,
      whole: true,
    })
    // Someone edited its text: only the address is replaced.
    const edited = `![my picture](tandem-upload:${id}) and more`
    expect(findPlaceholder(edited, id, 'shot [1].png')).toEqual({
      from: 14,
      to: 14 + `tandem-upload:${id}`.length,
      whole: false,
    })
    expect(findPlaceholder('gone', id, 'shot [1].png')).toBeNull()
  })
})
