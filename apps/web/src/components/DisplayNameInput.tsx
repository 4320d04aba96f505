import { useId, useState } from 'react'
import { useServices } from '../app/services'
import { useIdentity } from '../hooks/useIdentity'
import { MAX_DISPLAY_NAME_CHARS } from '../lib/identity'

/**
 * Your display name, edited in place. Every keystroke that leaves a non-blank name is stored and
 * shown to the others at once; leaving the field blank restores the last name.
 */
export function DisplayNameInput() {
  const { identity } = useServices()
  const current = useIdentity(identity)
  const [draft, setDraft] = useState<string | null>(null)
  const id = useId()
  return (
    <div className="name-field">
      <label htmlFor={id}>Your name</label>
      <input
        id={id}
        data-testid="display-name"
        type="text"
        value={draft ?? current.name}
        maxLength={MAX_DISPLAY_NAME_CHARS}
        autoComplete="nickname"
        spellCheck={false}
        style={{ borderLeftColor: current.color }}
        onChange={(event) => {
          setDraft(event.target.value)
          identity.setName(event.target.value)
        }}
        onBlur={() => setDraft(null)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' || event.key === 'Escape') event.currentTarget.blur()
        }}
      />
    </div>
  )
}
