import { type HexColor, hexColor } from '../collab/remote-user'
import type { Author } from './attribution-api'
import { palette } from './identity'

/** A 32-bit FNV-1a hash of `text`: the same name always lands on the same palette colour. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * The colour each author's text is shown in, by author id: the presence colour the server
 * recorded for them; else the colour of someone present now under the same name (`present`:
 * name to colour); else a palette colour chosen by their name. Authors are taken in id order,
 * and one whose colour an earlier author already has gets the next palette colour no one has
 * (while there is one), so that two people's text can be told apart.
 */
export function authorColors(
  authors: readonly Author[],
  present: ReadonlyMap<string, HexColor> = new Map(),
): Map<number, HexColor> {
  const colors = new Map<number, HexColor>()
  const taken = new Set<string>()
  // In id order, so that the choice does not depend on the order the server listed them in.
  for (const author of [...authors].sort((a, b) => a.id - b.id)) {
    const preferred = author.color ?? present.get(author.name) ?? null
    let chosen: string | null = preferred !== null && !taken.has(preferred) ? preferred : null
    if (chosen === null) {
      const start = hash(author.name) % palette.length
      chosen = preferred ?? palette[start] ?? palette[0]
      for (let step = 0; step < palette.length; step++) {
        const candidate = palette[(start + step) % palette.length] ?? palette[0]
        if (!taken.has(candidate)) {
          chosen = candidate
          break
        }
      }
    }
    taken.add(chosen)
    const color = hexColor(chosen)
    if (color !== null) colors.set(author.id, color)
  }
  return colors
}

/** How an author's text is shown: their checked name, whether it is verified, their colour. */
export interface AuthorStyle {
  readonly name: string
  readonly verified: boolean
  readonly color: HexColor
}

/** `authors` with the colours {@link authorColors} chose, by id. */
export function authorStyles(
  authors: readonly Author[],
  colors: ReadonlyMap<number, HexColor>,
): Map<number, AuthorStyle> {
  const styles = new Map<number, AuthorStyle>()
  for (const author of authors) {
    const color = colors.get(author.id)
    if (color !== undefined) {
      styles.set(author.id, { name: author.name, verified: author.verified, color })
    }
  }
  return styles
}
