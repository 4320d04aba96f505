import { MAX_NAME_QUERY_LENGTH, validateDocName } from '@tandem/protocol'
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react'
import { navigate } from '../app/router'
import { useServices } from '../app/services'
import { useDocList } from '../hooks/useDocList'
import { describeDocNameProblem, randomDocName } from '../lib/doc-names'
import { type DocSummary, filterDocs } from '../lib/docs-api'
import { describeAge, forgetDoc, type RecentDoc, readRecentDocs } from '../lib/recent-docs'
import { docNameFromInput, docPath } from '../lib/routes'
import { fullTime } from '../lib/time'
import { DocDialogs, type DocNotice, DocNoticeBar, type DocQuestion } from './DocActions'
import { Link } from './Link'
import { ThemeToggle } from './ThemeToggle'

/** The problem with a typed name, as a sentence, or `null` when it can be used. */
function nameError(name: string): string | null {
  const checked = validateDocName(name)
  return checked.ok ? null : describeDocNameProblem(checked.problem)
}

/**
 * The start page: create a document, find one among the server's documents, open one by name
 * or link, or reopen one opened in this browser.
 */
export function HomePage() {
  const { store, apiUrl } = useServices()
  const [suggestion, setSuggestion] = useState(() => randomDocName())
  const [recent, setRecent] = useState(() => readRecentDocs(store))

  useEffect(() => {
    document.title = 'Tandem'
  }, [])

  return (
    <div className="home">
      <header className="home-header">
        <div className="home-header-row">
          <h1 className="brand">
            <span className="brand-mark" aria-hidden="true" />
            Tandem
          </h1>
          <ThemeToggle />
        </div>
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
        <AllDocs apiUrl={apiUrl} onGone={(name) => setRecent(forgetDoc(store, name))} />
        <NameForm
          title="Open a document"
          action="Open"
          placeholder="Name or link"
          hint="Paste a link someone shared with you, or type a document's name."
          resolve={docNameFromInput}
        />
        <section className="card recent" aria-labelledby="recent-title">
          <h2 id="recent-title">Opened in this browser</h2>
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
          <Link
            href={`${docPath(doc.name)}${doc.token ? `?token=${encodeURIComponent(doc.token)}` : ''}`}
            className="recent-link"
          >
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

/** How long the filter waits after the last keystroke before it asks the server, in ms. */
const FILTER_DEBOUNCE_MS = 250

/** `value`, once it has stayed the same for `delayMs`. */
function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value)
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs)
    return () => clearTimeout(timer)
  }, [value, delayMs])
  return settled
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

/**
 * The server's documents by name, a page at a time ("Load more"), with a filter the server
 * applies; each can be renamed or deleted (after a confirmation), and a deleted one restored.
 * `onGone` is told of a name that no longer exists.
 */
function AllDocs({ apiUrl, onGone }: { apiUrl: string; onGone: (name: string) => void }) {
  const [query, setQuery] = useState('')
  const docs = useDocList(apiUrl, useDebounced(query, FILTER_DEBOUNCE_MS).trim())
  const [question, setQuestion] = useState<DocQuestion>(null)
  const [notice, setNotice] = useState<{ id: number; value: DocNotice } | null>(null)
  /** The button that asked the question, to get the focus back once it is answered. */
  const asker = useRef<HTMLElement | null>(null)
  const list = useRef<HTMLUListElement | null>(null)
  /** After "Load more": the index of the first row it added, to move the focus there. */
  const focusFrom = useRef<number | null>(null)

  useEffect(() => {
    // After the dialog is gone (while it is open, everything else is inert).
    if (question === null && asker.current?.isConnected) asker.current.focus()
    if (question === null) asker.current = null
  }, [question])
  useEffect(() => {
    if (focusFrom.current === null || docs.loadingMore) return
    const row = list.current?.children[focusFrom.current]
    focusFrom.current = null
    row?.querySelector<HTMLElement>('a')?.focus()
  }, [docs.loadingMore])

  const id = useId()
  const typed = query.trim()
  // Until the server answers for what was typed, the rows it sent are filtered here, the same way.
  const settled = docs.status !== 'loading' && docs.query === typed
  const shown = settled ? docs.docs : filterDocs(docs.docs, typed)
  const filtering = docs.query !== ''
  const now = Date.now()

  return (
    <section
      className="card docs"
      aria-labelledby={`${id}-title`}
      aria-busy={!settled || docs.loadingMore}
    >
      <div className="card-title-row">
        <h2 id={`${id}-title`}>Documents</h2>
        <span className="muted count">By name</span>
      </div>
      {(docs.docs.length > 0 || typed !== '' || docs.query !== '') && (
        <div className="filter">
          <label htmlFor={`${id}-filter`} className="visually-hidden">
            Filter documents by name
          </label>
          <input
            id={`${id}-filter`}
            type="search"
            data-testid="doc-filter"
            placeholder="Filter by name"
            value={query}
            maxLength={MAX_NAME_QUERY_LENGTH}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={`${id}-status`}
            onChange={(event) => setQuery(event.target.value)}
          />
        </div>
      )}
      {notice && (
        <DocNoticeBar
          key={notice.id}
          apiUrl={apiUrl}
          notice={notice.value}
          onRestored={(name) => {
            setNotice({ id: notice.id + 1, value: { kind: 'done', text: `Restored “${name}”.` } })
            docs.refresh()
          }}
          onDismiss={() => setNotice(null)}
        />
      )}
      {docs.status === 'loading' && docs.docs.length === 0 && (
        <p className="muted">Loading documents…</p>
      )}
      {docs.status === 'error' && (
        <p className="muted" role="status">
          {docs.error}{' '}
          <button type="button" className="link-button" onClick={docs.refresh}>
            Try again
          </button>
        </p>
      )}
      {docs.status === 'ready' && !filtering && docs.docs.length === 0 && (
        <p className="muted">No documents yet. Create one above.</p>
      )}
      <ul className="doc-list" data-testid="doc-list" ref={list} hidden={shown.length === 0}>
        {shown.map((doc) => (
          <DocRow
            key={doc.name}
            doc={doc}
            now={now}
            onAsk={(kind, button) => {
              asker.current = button
              setQuestion({ kind, name: doc.name })
            }}
          />
        ))}
      </ul>
      <p id={`${id}-status`} className="muted" role="status" data-testid="doc-list-status">
        {settled && docs.status === 'ready'
          ? describeList(docs.docs.length, docs.hasMore, docs.query)
          : docs.status === 'loading' &&
            docs.docs.length > 0 &&
            (typed === '' ? 'Loading…' : 'Searching…')}
      </p>
      {settled && docs.status === 'ready' && docs.error !== null && (
        <p className="muted" role="alert">
          {docs.error}
        </p>
      )}
      {settled && docs.status === 'ready' && docs.hasMore && (
        <p>
          <button
            type="button"
            className="button subtle"
            data-testid="load-more-docs"
            // Not `disabled`: a disabled button loses the focus.
            aria-disabled={docs.loadingMore}
            onClick={() => {
              focusFrom.current = docs.docs.length
              docs.loadMore()
            }}
          >
            {docs.loadingMore ? 'Loading…' : filtering ? 'Search further' : 'Load more'}
          </button>
        </p>
      )}
      <DocDialogs
        apiUrl={apiUrl}
        question={question}
        onClose={() => setQuestion(null)}
        onChanged={(name, value) => {
          // The notice takes the focus: the row may be gone.
          asker.current = null
          setQuestion(null)
          setNotice((current) => ({ id: (current?.id ?? 0) + 1, value }))
          onGone(name)
          docs.refresh()
        }}
      />
    </section>
  )
}

/** What the list holds, as a sentence: how many, and whether the server has more. */
function describeList(count: number, more: boolean, query: string): string {
  if (query === '') {
    if (count === 0) return ''
    return more
      ? `Showing the first ${plural(count, 'document', 'documents')}; more on the server.`
      : `${plural(count, 'document', 'documents')}.`
  }
  if (!more) {
    return count === 0
      ? `No document matches “${query}”.`
      : `${plural(count, 'document matches', 'documents match')} “${query}”.`
  }
  return count === 0
    ? `No match for “${query}” yet: the server has more documents to search.`
    : `${plural(count, 'document matches', 'documents match')} “${query}” so far; the server has more to search.`
}

function DocRow({
  doc,
  now,
  onAsk,
}: {
  doc: DocSummary
  now: number
  onAsk: (kind: 'rename' | 'delete', button: HTMLElement) => void
}) {
  return (
    <li data-testid="doc-item" data-name={doc.name}>
      <Link href={docPath(doc.name)} className="doc-link">
        {doc.name}
      </Link>
      {doc.connected > 0 && (
        <span
          className="doc-connected"
          data-testid="doc-connected"
          title={`${doc.connected} open ${doc.connected === 1 ? 'connection' : 'connections'} now`}
        >
          <span className="live-dot" aria-hidden="true" />
          {doc.connected} online
        </span>
      )}
      <time
        className="muted doc-age"
        dateTime={new Date(doc.updatedAtMs).toISOString()}
        title={`Last edited ${fullTime(doc.updatedAtMs)}`}
      >
        {describeAge(doc.updatedAtMs, now)}
      </time>
      <span className="doc-actions">
        <button
          type="button"
          className="button subtle"
          data-testid="rename-doc"
          aria-label={`Rename ${doc.name}`}
          onClick={(event) => onAsk('rename', event.currentTarget)}
        >
          Rename
        </button>
        <button
          type="button"
          className="button subtle danger"
          data-testid="delete-doc"
          aria-label={`Delete ${doc.name}`}
          onClick={(event) => onAsk('delete', event.currentTarget)}
        >
          Delete
        </button>
      </span>
    </li>
  )
}
