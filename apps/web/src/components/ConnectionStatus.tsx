import type { ConnectionSnapshot } from '../collab/connection'

const labels = {
  connecting: 'Connecting…',
  connected: 'Connected',
  offline: 'Offline',
} as const

const hints = {
  connecting: 'Connecting to the sync server.',
  connected: 'Your changes reach everyone as you type.',
  offline:
    'The sync server cannot be reached. Your changes are kept on this device and are sent when the connection returns.',
} as const

/** The connection indicator: a coloured dot and the state in words. */
export function ConnectionStatus({ connection }: { connection: ConnectionSnapshot }) {
  const { state, closed } = connection
  return (
    <div
      className="status"
      data-testid="connection-status"
      data-state={state}
      role="status"
      title={closed ? 'The server closed this document; see the message below.' : hints[state]}
    >
      <span className="status-dot" aria-hidden="true" />
      <span className="status-label">{labels[state]}</span>
    </div>
  )
}
