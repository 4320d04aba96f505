import type { Person } from '../collab/presence'
import { initials } from '../lib/identity'

export interface PresenceProps {
  people: readonly Person[]
  /** Whom the editor follows (an awareness client id), if anyone. */
  following: number | null
  /** Scrolls to the person's caret. */
  onShow: (clientId: number) => void
  /** Starts (or, for `null`, stops) following someone. */
  onFollow: (clientId: number | null) => void
}

/**
 * Everyone with the document open: an avatar (initials in their cursor colour) and their name.
 * Someone else's avatar is a button that scrolls to their caret; beside it, an eye toggles
 * "follow", which keeps their caret in view.
 */
export function Presence({ people, following, onShow, onFollow }: PresenceProps) {
  return (
    <ul
      className={people.length > 2 ? 'presence compact' : 'presence'}
      data-testid="presence"
      aria-label={`${people.length} ${people.length === 1 ? 'person' : 'people'} here`}
    >
      {people.map((person) => {
        const followed = following === person.clientId
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
            title={person.self ? `${person.name} (you)` : person.name}
          >
            {person.self ? (
              <span className="person-main">
                {avatar}
                <span className="person-name">
                  {person.name}
                  <span className="you"> (you)</span>
                </span>
              </span>
            ) : (
              <>
                <button
                  type="button"
                  className="person-main"
                  data-testid="presence-show"
                  aria-label={`Show where ${person.name} is`}
                  onClick={() => onShow(person.clientId)}
                >
                  {avatar}
                  <span className="person-name">{person.name}</span>
                </button>
                <button
                  type="button"
                  className="follow-button"
                  data-testid="presence-follow"
                  aria-pressed={followed}
                  aria-label={followed ? `Stop following ${person.name}` : `Follow ${person.name}`}
                  title={followed ? `Stop following ${person.name}` : `Follow ${person.name}`}
                  onClick={() => onFollow(followed ? null : person.clientId)}
                >
                  <span aria-hidden="true">{followed ? '◉' : '◎'}</span>
                </button>
              </>
            )}
          </li>
        )
      })}
    </ul>
  )
}
