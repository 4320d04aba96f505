import { CloseCode, closeReason, isPermanentClose } from '@tandem/protocol'
import type { WebsocketProvider } from 'y-websocket'

/** What the connection indicator shows. */
export type ConnectionState = 'connecting' | 'connected' | 'offline'

export interface ConnectionSnapshot {
  /**
   * `connecting` until the first connection has synced (or while a new one syncs), `connected`
   * once the document is in sync with the server, `offline` after a connection was lost or
   * refused (the provider keeps retrying with backoff) or was closed for good.
   */
  readonly state: ConnectionState
  /** Set when the server closed the connection permanently; the provider no longer retries. */
  readonly closed: { readonly code: number; readonly reason: string } | null
}

/** A store of the provider's connection state, for `useSyncExternalStore`. */
export interface ConnectionWatcher {
  readonly getSnapshot: () => ConnectionSnapshot
  readonly subscribe: (listener: () => void) => () => void
  readonly destroy: () => void
}

/**
 * Follows `provider` from its first event. A connection attempt that fails before opening
 * reports only `connection-close`, so the state turns `offline` there, and stays `offline`
 * while the provider retries, until a socket actually opens.
 */
export function watchConnection(provider: WebsocketProvider): ConnectionWatcher {
  const listeners = new Set<() => void>()
  let snapshot: ConnectionSnapshot = { state: 'connecting', closed: null }

  const set = (state: ConnectionState, closed = snapshot.closed) => {
    if (state === snapshot.state && closed === snapshot.closed) return
    snapshot = { state, closed }
    for (const listener of listeners) listener()
  }

  const onStatus = ({ status }: { status: 'connected' | 'disconnected' | 'connecting' }) => {
    if (snapshot.closed) return
    if (status === 'connected') set(provider.synced ? 'connected' : 'connecting')
    else if (status === 'disconnected') set('offline')
    else if (snapshot.state !== 'offline') set('connecting')
  }
  const onSync = (synced: boolean) => {
    if (snapshot.closed || !provider.wsconnected) return
    set(synced ? 'connected' : 'connecting')
  }
  const onConnectionClose = (event: CloseEvent | null) => {
    if (event !== null && !snapshot.closed) set('offline')
  }
  const onClosed = (event: { code: number; reason: string }) => {
    // The provider has stopped retrying already; disconnecting also leaves the cross-tab channel,
    // so this tab no longer relays a document the server refused.
    provider.disconnect()
    set('offline', { code: event.code, reason: event.reason })
  }

  provider.on('status', onStatus)
  provider.on('sync', onSync)
  provider.on('connection-close', onConnectionClose)
  provider.on('closed', onClosed)

  return {
    getSnapshot: () => snapshot,
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    destroy: () => {
      provider.off('status', onStatus)
      provider.off('sync', onSync)
      provider.off('connection-close', onConnectionClose)
      provider.off('closed', onClosed)
      listeners.clear()
    },
  }
}

/** Whether the provider should try again after the server closed with `event`. */
export function shouldReconnect(event: CloseEvent): boolean {
  return !isPermanentClose(event.code)
}

/** A sentence explaining a permanent close to the user. */
export function describeClose(closed: { code: number; reason: string }): string {
  if (closed.code === CloseCode.DocumentCorrupt) {
    return 'The server has set this document aside because its stored copy is damaged. Ask the operator to restore it.'
  }
  const known = (closeReason as Readonly<Record<number, string>>)[closed.code]
  const reason = closed.reason.trim() || known || 'no reason given'
  return `The server closed the connection for good: ${reason} (code ${closed.code}).`
}
