import type { HexColor } from '../collab/remote-user'
import type { Author } from '../lib/attribution-api'

/** The most authors the legend names; the rest are counted. */
const MAX_SHOWN = 24

export interface AuthorLegendProps {
  authors: readonly Author[]
  colors: ReadonlyMap<number, HexColor>
  /** Said instead of the list, e.g. while loading or after an error. */
  note?: string | null
  label?: string
}

/** Who wrote the document, each with the colour their text is shown in. */
export function AuthorLegend({
  authors,
  colors,
  note = null,
  label = 'Authors of this document',
}: AuthorLegendProps) {
  const shown = authors.slice(0, MAX_SHOWN)
  return (
    <section className="author-legend" data-testid="author-legend" aria-label={label}>
      {note !== null ? (
        <p className="muted">{note}</p>
      ) : authors.length === 0 ? (
        <p className="muted">No one’s writing is recorded yet.</p>
      ) : (
        <ul>
          {shown.map((author) => (
            <li key={author.id} data-testid="author-legend-item">
              <span
                className="author-swatch"
                aria-hidden="true"
                style={{ backgroundColor: colors.get(author.id) }}
              />
              <bdi>{author.name}</bdi>
              {!author.verified && (
                <span className="unverified" title="The name was not checked by a sign-in">
                  unverified
                </span>
              )}
            </li>
          ))}
          {authors.length > shown.length && (
            <li className="muted">and {authors.length - shown.length} more</li>
          )}
        </ul>
      )}
    </section>
  )
}
