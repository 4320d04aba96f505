import { describe, expect, it } from 'vitest'
import { apiBaseUrl, DEV_SYNC_URL, syncServerUrl } from './sync-url'

describe('syncServerUrl', () => {
  it('uses the page origin in production, ws: for http: and wss: for https:', () => {
    expect(syncServerUrl({ protocol: 'http:', host: '127.0.0.1:1234' }, { DEV: false })).toBe(
      'ws://127.0.0.1:1234',
    )
    expect(syncServerUrl({ protocol: 'https:', host: 'tandem.example' }, { DEV: false })).toBe(
      'wss://tandem.example',
    )
  })

  it('uses the local default server in vite dev', () => {
    expect(syncServerUrl({ protocol: 'http:', host: 'localhost:5173' }, { DEV: true })).toBe(
      DEV_SYNC_URL,
    )
    expect(DEV_SYNC_URL).toBe('ws://127.0.0.1:1234')
  })

  it('prefers VITE_SYNC_URL in any mode, without a trailing slash', () => {
    const page = { protocol: 'https:', host: 'tandem.example' }
    const url = 'wss://sync.example/base/'
    expect(syncServerUrl(page, { DEV: true, VITE_SYNC_URL: url })).toBe('wss://sync.example/base')
    expect(syncServerUrl(page, { DEV: false, VITE_SYNC_URL: url })).toBe('wss://sync.example/base')
  })

  it('ignores an empty VITE_SYNC_URL', () => {
    expect(
      syncServerUrl({ protocol: 'http:', host: 'h:1' }, { DEV: false, VITE_SYNC_URL: ' ' }),
    ).toBe('ws://h:1')
  })
})

describe('apiBaseUrl', () => {
  it('is the page origin unless VITE_SYNC_URL names another server', () => {
    expect(apiBaseUrl({ DEV: false })).toBe('')
    expect(apiBaseUrl({ DEV: true })).toBe('')
    expect(apiBaseUrl({ DEV: false, VITE_SYNC_URL: ' ' })).toBe('')
    expect(apiBaseUrl({ DEV: false, VITE_SYNC_URL: 'wss://sync.example/base/' })).toBe(
      'https://sync.example/base',
    )
    expect(apiBaseUrl({ DEV: true, VITE_SYNC_URL: 'ws://127.0.0.1:9000' })).toBe(
      'http://127.0.0.1:9000',
    )
  })
})
