import type { ConnectionSnapshot, ConnectionState } from '../collab/connection'
import type { SaveSnapshot, SaveState } from '../collab/save-state'

const connectionLabels: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  offline: 'Offline',
}

const saveLabels: Record<SaveState, string> = {
  saved: 'Saved',
  saving: 'Saving…',
  'offline-unsaved': 'Offline – changes kept in this browser',
  offline: 'Offline – all changes saved',
}

const hints: Record<SaveState, string> = {
  saved: 'Connected. Everything you wrote is stored on the server.',
  saving: 'Connected. Your latest changes are on their way to the server.',
  'offline-unsaved':
    'The sync server cannot be reached. Your changes are kept in this browser and are sent when the connection returns; keep this tab or browser until then.',
  offline:
    'The sync server cannot be reached. Everything you wrote before is stored on the server; new changes are kept in this browser until the connection returns.',
}

/**
 * The same states for a view-only page, which has nothing of its own to save: "saved" is the
 * server's acknowledgement of its sync step 2 (nothing new), so "Up to date" is the server's
 * word too; before it, the page is still syncing.
 */
const viewLabels: Record<SaveState, string> = {
  saved: 'Up to date',
  saving: 'Syncing…',
  'offline-unsaved': 'Offline',
  offline: 'Offline',
}

const viewHints: Record<SaveState, string> = {
  saved: 'Connected. You see every change as it is made.',
  saving: 'Connected. The server has not yet confirmed that this copy is up to date.',
  'offline-unsaved': 'The sync server cannot be reached; the text may be out of date.',
  offline: 'The sync server cannot be reached; the text may be out of date.',
}

/**
 * The connection and saved indicator, one pill: a dot coloured by the connection and the saved
 * state in words ("Connecting…" while the first sync is under way). Only connection changes and
 * unsaved offline work are announced to screen readers, not every save while typing.
 */
export function ConnectionStatus({
  connection,
  save,
  viewOnly = false,
}: {
  connection: ConnectionSnapshot
  save: SaveSnapshot
  /** A view-only page: the indicator says whether the text is up to date instead. */
  viewOnly?: boolean
}) {
  const labels = viewOnly ? viewLabels : saveLabels
  const { state, closed } = connection
  const connecting = state === 'connecting'
  const announcement =
    save.state === 'offline-unsaved' ? labels['offline-unsaved'] : connectionLabels[state]
  return (
    <div
      className="status"
      data-testid="connection-status"
      data-state={state}
      title={
        closed
          ? 'The server closed this document; see the message below.'
          : connecting
            ? 'Connecting to the sync server.'
            : (viewOnly ? viewHints : hints)[save.state]
      }
    >
      <span className="status-dot" aria-hidden="true" />
      {connecting && (
        <span className="status-label" aria-hidden="true">
          {connectionLabels.connecting}
        </span>
      )}
      <span
        className={connecting ? 'visually-hidden' : 'status-label'}
        data-testid="save-status"
        data-state={save.state}
      >
        {labels[save.state]}
      </span>
      <span className="visually-hidden" role="status">
        {announcement}
      </span>
    </div>
  )
}
