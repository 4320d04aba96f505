import type { ReactNode } from 'react'
import { Link } from './Link'

export interface DocHeaderProps {
  /** The document's name. */
  name: string
  /** Whether the page was opened with a view-only link. */
  viewOnly: boolean
  /** The connection and saved indicator, after the name. */
  status: ReactNode
  /** The end of the bar: people, the display name, the actions. */
  children: ReactNode
}

/** A document page's top bar: the way home, the document's name, its status, and `children`. */
export function DocHeader({ name, viewOnly, status, children }: DocHeaderProps) {
  return (
    <header className="topbar">
      <div className="topbar-start">
        <Link href="/" className="brand" aria-label="Tandem home">
          <span className="brand-mark" aria-hidden="true" />
          Tandem
        </Link>
        <span className="divider" aria-hidden="true">
          /
        </span>
        <h1 className="doc-name" title={name}>
          {name}
        </h1>
        {viewOnly && (
          <span
            className="view-only-badge"
            data-testid="view-only-badge"
            title="You can read this document and see who is here, but not change it."
          >
            View only
          </span>
        )}
        {status}
      </div>
      <div className="topbar-end">{children}</div>
    </header>
  )
}
