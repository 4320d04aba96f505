import { validateDocName } from '@tandem/protocol'
import { type FormEvent, type ReactNode, useEffect, useId, useState } from 'react'
import { navigate } from '../app/router'
import { useServices } from '../app/services'
import { describeDocNameProblem, randomDocName } from '../lib/doc-names'
import { describeAge, forgetDoc, type RecentDoc, readRecentDocs } from '../lib/recent-docs'
import { docNameFromInput, docPath } from '../lib/routes'
import { Link } from './Link'

/** The problem with a typed name, as a sentence, or `null` when it can be used. */
function nameError(name: string): string | null {
  const checked = validateDocName(name)
  return checked.ok ? null : describeDocNameProblem(checked.problem)
}

/** The start page: create a document, open one by name or link, or reopen a recent one. */
export function HomePage() {
  const { store } = useServices()
  const [suggestion, setSuggestion] = useState(() => randomDocName())
  const [recent, setRecent] = useState(() => readRecentDocs(store))

  useEffect(() => {
    document.title = 'Tandem'
  }, [])

  return (
    <div className="home">
      <header className="home-header">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Tandem
        </span>
        <p className="tagline">
          Write together, in real time. Works offline, merges without conflicts.
        </p>
      </header>
      <main className="home-main">
        <NameForm
          title="New document"
          action="Create document"
          inputTestId="new-doc-name"
          buttonTestId="create-doc"
          placeholder={suggestion}
          hint={
            <>
              Leave it empty to use <strong>{suggestion}</strong>{' '}
              <button
                type="button"
                className="link-button"
                onClick={() => setSuggestion(randomDocName())}
              >
                suggest another
              </button>
            </>
          }
          resolve={(input) => input.trim() || suggestion}
        />
        <NameForm
          title="Open a document"
          action="Open"
          placeholder="Name or link"
          hint="Paste a link someone shared with you, or type a document's name."
          resolve={docNameFromInput}
        />
        <section className="card recent" aria-labelledby="recent-title">
          <h2 id="recent-title">Recent documents</h2>
          {recent.length === 0 && <p className="muted">Documents you open appear here.</p>}
          <RecentList docs={recent} onForget={(name) => setRecent(forgetDoc(store, name))} />
        </section>
      </main>
    </div>
  )
}

interface NameFormProps {
  title: string
  action: string
  placeholder: string
  hint: ReactNode
  /** Turns what was typed into the document name to open. */
  resolve: (input: string) => string
  inputTestId?: string
  buttonTestId?: string
}

function NameForm({
  title,
  action,
  placeholder,
  hint,
  resolve,
  inputTestId,
  buttonTestId,
}: NameFormProps) {
  const [input, setInput] = useState('')
  const [error, setError] = useState<string | null>(null)
  const id = useId()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const name = resolve(input)
    const problem = nameError(name)
    setError(problem)
    if (problem === null) navigate(docPath(name))
  }

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <form className="name-form" onSubmit={submit} noValidate>
        <label htmlFor={`${id}-input`} className="visually-hidden">
          Document name
        </label>
        <div className="field-row">
          <input
            id={`${id}-input`}
            data-testid={inputTestId}
            type="text"
            value={input}
            placeholder={placeholder}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={error !== null}
            aria-describedby={`${id}-help`}
            onChange={(event) => {
              const value = event.target.value
              setInput(value)
              // Check as the user types, but only complain about something they typed.
              setError(value.trim() === '' ? null : nameError(resolve(value)))
            }}
          />
          <button type="submit" className="button primary" data-testid={buttonTestId}>
            {action}
          </button>
        </div>
        <p
          id={`${id}-help`}
          className={error ? 'field-help error' : 'field-help'}
          aria-live="polite"
        >
          {error ?? hint}
        </p>
      </form>
    </section>
  )
}

function RecentList({
  docs,
  onForget,
}: {
  docs: readonly RecentDoc[]
  onForget: (name: string) => void
}) {
  const now = Date.now()
  return (
    <ul className="recent-list" data-testid="recent-docs">
      {docs.map((doc) => (
        <li key={doc.name}>
          <Link href={docPath(doc.name)} className="recent-link">
            {doc.name}
          </Link>
          <span className="muted recent-age">{describeAge(doc.openedAtMs, now)}</span>
          <button
            type="button"
            className="icon-button"
            aria-label={`Remove ${doc.name} from recent documents`}
            title="Remove from this list"
            onClick={() => onForget(doc.name)}
          >
            ×
          </button>
        </li>
      ))}
    </ul>
  )
}
