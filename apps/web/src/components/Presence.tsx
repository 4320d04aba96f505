import type { Person } from '../collab/presence'
import { initials } from '../lib/identity'

/** Everyone with the document open: an avatar in their cursor colour and their name. */
export function Presence({ people }: { people: readonly Person[] }) {
  return (
    <ul
      className={people.length > 3 ? 'presence compact' : 'presence'}
      data-testid="presence"
      aria-label={`${people.length} ${people.length === 1 ? 'person' : 'people'} here`}
    >
      {people.map((person) => (
        <li
          key={person.clientId}
          className="person"
          data-testid="presence-user"
          data-name={person.name}
          data-self={String(person.self)}
          title={person.self ? `${person.name} (you)` : person.name}
        >
          <span className="avatar" style={{ backgroundColor: person.color }} aria-hidden="true">
            {initials(person.name)}
          </span>
          <span className="person-name">
            {person.name}
            {person.self && <span className="you"> (you)</span>}
          </span>
        </li>
      ))}
    </ul>
  )
}
