import { describe, expect, it } from 'vitest'
import { type HexColor, hexColor } from '../collab/remote-user'
import type { Author } from './attribution-api'
import { authorColors } from './author-colors'
import { palette } from './identity'

const author = (id: number, name: string, color: string | null = null): Author => ({
  id,
  name,
  verified: true,
  color: hexColor(color),
})

describe('authorColors', () => {
  it("takes the server's colour first, then a present person's of the same name", () => {
    const present = new Map([['Grace', '#0d74ce' as HexColor]])
    const colors = authorColors([author(1, 'Ada', '#C2298A'), author(2, 'Grace')], present)
    expect(colors.get(1)).toBe('#c2298a')
    expect(colors.get(2)).toBe('#0d74ce')
  })

  it('gives everyone else a palette colour by name, the same every time, distinct while it can', () => {
    const authors = Array.from({ length: palette.length }, (_, i) => author(i + 1, `Person ${i}`))
    const colors = authorColors(authors)
    expect(new Set(colors.values()).size).toBe(palette.length)
    for (const color of colors.values()) expect(palette).toContain(color)
    // The order the server lists them in does not matter.
    expect(authorColors([...authors].reverse())).toEqual(colors)
    // One more than the palette has: a colour is shared, none is missing.
    const more = authorColors([...authors, author(99, 'Extra')])
    expect(more.size).toBe(palette.length + 1)
  })

  it('gives a later author whose colour is taken another one', () => {
    const colors = authorColors([author(2, 'Grace', '#cc4e00'), author(1, 'Ada', '#cc4e00')])
    expect(colors.get(1)).toBe('#cc4e00')
    expect(colors.get(2)).not.toBe('#cc4e00')
    expect(palette).toContain(colors.get(2))
  })
})
