import { useEffect } from 'react'
import { useServices } from '../app/services'
import { describeClose } from '../collab/connection'
import { useCollabSession } from '../collab/useCollabSession'
import { useConnection } from '../hooks/useConnection'
import { usePresence } from '../hooks/usePresence'
import { rememberDoc } from '../lib/recent-docs'
import { ConnectionStatus } from './ConnectionStatus'
import { CopyLinkButton } from './CopyLinkButton'
import { DisplayNameInput } from './DisplayNameInput'
import { Editor } from './Editor'
import { Link } from './Link'
import { Presence } from './Presence'

/** A document: the header with people and status, and the editor filling the rest. */
export function DocumentPage({ name }: { name: string }) {
  const { store, identity, serverUrl } = useServices()
  const session = useCollabSession(name, serverUrl, identity)
  const connection = useConnection(session?.connection ?? null)
  const people = usePresence(session?.awareness ?? null)

  useEffect(() => {
    rememberDoc(store, name, Date.now())
    document.title = `${name} · Tandem`
  }, [store, name])

  return (
    <div className="doc-page">
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
          <CopyLinkButton />
        </div>
        <div className="topbar-end">
          <ConnectionStatus connection={connection} />
          <Presence people={people} />
          <DisplayNameInput />
        </div>
      </header>
      {connection.closed && (
        <div className="banner" role="alert">
          {describeClose(connection.closed)} Your copy stays on this device but no longer syncs.
        </div>
      )}
      <main className="editor-host" data-testid="editor">
        {session && <Editor session={session} readOnly={connection.closed !== null} />}
      </main>
    </div>
  )
}
