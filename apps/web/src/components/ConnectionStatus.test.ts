import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import type { ConnectionSnapshot } from '../collab/connection'
import type { SaveSnapshot } from '../collab/save-state'
import { ConnectionStatus } from './ConnectionStatus'

const connected: ConnectionSnapshot = { state: 'connected', closed: null }

/** The words the indicator shows for `save` (rendered to markup: no DOM needed). */
function label(save: SaveSnapshot, viewOnly: boolean): string {
  const html = renderToStaticMarkup(
    createElement(ConnectionStatus, { connection: connected, save, viewOnly }),
  )
  const match = /data-testid="save-status"[^>]*>([^<]*)</.exec(html)
  if (!match) throw new Error(`no save-status in ${html}`)
  return match[1] ?? ''
}

describe('ConnectionStatus', () => {
  it('on a view-only page says "Up to date" only once the server has acknowledged the sync', () => {
    expect(label({ state: 'saving', unsavedEdits: false }, true)).toBe('Syncing…')
    expect(label({ state: 'saving', unsavedEdits: true }, true)).toBe('Syncing…')
    expect(label({ state: 'saved', unsavedEdits: false }, true)).toBe('Up to date')
    expect(label({ state: 'offline', unsavedEdits: false }, true)).toBe('Offline')
  })

  it('on an editable page says Saved only for what the server has stored', () => {
    expect(label({ state: 'saving', unsavedEdits: true }, false)).toBe('Saving…')
    expect(label({ state: 'saved', unsavedEdits: false }, false)).toBe('Saved')
    expect(label({ state: 'offline-unsaved', unsavedEdits: true }, false)).toBe(
      'Offline – changes kept in this browser',
    )
  })
})
