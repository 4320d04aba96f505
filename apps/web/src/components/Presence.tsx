import type { Person } from '../collab/presence'
import { isolated } from '../collab/remote-user'
import { initials } from '../lib/identity'

export interface PresenceProps {
  /** The people to show by name (a bounded number), yourself first. */
  people: readonly Person[]
  /** How many people are present in all; those beyond `people` are only counted. */
  total: number
  /** Whom the editor follows (an awareness client id), if anyone. */
  following: number | null
  /** Scrolls to the person's caret. */
  onShow: (clientId: number) => void
  /** Starts (or, for `null`, stops) following someone. */
  onFollow: (clientId: number | null) => void
}

/**
 * Everyone with the document open: an avatar (initials in their cursor colour) and their name,
 * for the first `people`; the others are counted ("and 212 more"). Where some names are vouched
 * for by the server (token mode), the others are marked "(unverified)". Someone else's avatar is a
 * button that scrolls to their caret; beside it, an eye toggles "follow", which keeps their
 * caret in view. Names are isolated (`<bdi>`, FSI … PDI) so that none reorders the text around it.
 */
export function Presence({ people, total, following, onShow, onFollow }: PresenceProps) {
  const more = Math.max(0, total - people.length)
  // Where the server vouches for some names (token mode), the others are marked (SPEC T46).
  const vouching = people.some((p) => p.verified)
  return (
    <ul
      className={total > 2 ? 'presence compact' : 'presence'}
      data-testid="presence"
      aria-label={`${total} ${total === 1 ? 'person' : 'people'} here`}
    >
      {people.map((person) => {
        const followed = following === person.clientId
        const name = isolated(person.name)
        const avatar = (
          <span
            className="avatar"
            style={{ backgroundColor: person.color }}
            aria-hidden="true"
            data-testid="presence-avatar"
          >
            {initials(person.name)}
          </span>
        )
        return (
          <li
            key={person.clientId}
            className={followed ? 'person followed' : 'person'}
            data-testid="presence-user"
            data-name={person.name}
            data-self={String(person.self)}
            data-client-id={person.clientId}
            title={person.self ? `${name} (you)` : person.name}
          >
            {person.self ? (
              <span className="person-main">
                {avatar}
                <span className="person-name">
                  <bdi>{person.name}</bdi>
                  <span className="you"> (you)</span>
                </span>
              </span>
            ) : (
              <>
                <button
                  type="button"
                  className="person-main"
                  data-testid="presence-show"
                  aria-label={`Show where ${name} is`}
                  onClick={() => onShow(person.clientId)}
                >
                  {avatar}
                  <span className="person-name">
                    <bdi>{person.name}</bdi>
                    {vouching && !person.verified && (
                      <span className="unverified" data-testid="presence-unverified">
                        {' '}
                        (unverified)
                      </span>
                    )}
                  </span>
                </button>
                <button
                  type="button"
                  className="follow-button"
                  data-testid="presence-follow"
                  aria-pressed={followed}
                  aria-label={followed ? `Stop following ${name}` : `Follow ${name}`}
                  title={followed ? `Stop following ${name}` : `Follow ${name}`}
                  onClick={() => onFollow(followed ? null : person.clientId)}
                >
                  <span aria-hidden="true">{followed ? '◉' : '◎'}</span>
                </button>
              </>
            )}
          </li>
        )
      })}
      {more > 0 && (
        <li className="person presence-more" data-testid="presence-more">
          and {more} more
        </li>
      )}
    </ul>
  )
}
