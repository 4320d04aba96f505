import type { VersionJson } from '@tandem/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Tandem } from '../src/app.js'
import { type Client, connectClient, startServer, synced, tempDir } from './helpers.js'

describe('automatic versions against a real server', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem
  const clients: Client[] = []
  const connect = (name: string, user: string) => {
    const client = connectClient(`ws://${server.url.host}`, name)
    client.provider.awareness.setLocalStateField('user', { name: user, color: '#36c' })
    clients.push(client)
    return client
  }
  const versions = async (name: string) => {
    const response = await fetch(
      new URL(`/api/docs/${encodeURIComponent(name)}/versions`, server.url),
    )
    if (response.status === 404) return []
    return ((await response.json()) as { versions: VersionJson[] }).versions
  }

  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server.close()
    dir.remove()
  })

  it('H2, H4: a burst of edits followed by a pause gives one version, with its authors', async () => {
    server = await startServer(dir.path, {
      VERSION_QUIET_MS: '300',
      VERSION_MAX_INTERVAL_MS: '60000',
    })
    const [ada, grace] = [connect('burst', 'Ada'), connect('burst', 'Grace')]
    await Promise.all([synced(ada), synced(grace)])
    for (const ch of 'hello') ada.text.insert(ada.text.length, ch)
    await vi.waitFor(async () => expect(await versions('burst')).toHaveLength(1), {
      timeout: 5_000,
    })
    const [first] = await versions('burst')
    expect(first).toMatchObject({ kind: 'auto', textLength: 5, authors: ['Ada'] })

    await vi.waitFor(() => expect(ada.text.toString()).toBe('hello'))
    grace.text.insert(5, ' there')
    await vi.waitFor(async () => expect(await versions('burst')).toHaveLength(2), {
      timeout: 5_000,
    })
    const [second] = await versions('burst')
    expect(second).toMatchObject({ kind: 'auto', textLength: 11, authors: ['Grace'] })
    // Both still connected: these came from the pauses, not from anyone leaving.
    expect(ada.provider.wsconnected && grace.provider.wsconnected).toBe(true)
  })

  it('H2: continuous editing without pauses still gets versions every versionMaxIntervalMs', async () => {
    server = await startServer(dir.path, {
      VERSION_QUIET_MS: '60000',
      VERSION_MAX_INTERVAL_MS: '300',
    })
    const ada = connect('typing', 'Ada')
    await synced(ada)
    const typing = setInterval(() => ada.text.insert(ada.text.length, 'x'), 20)
    try {
      await vi.waitFor(
        async () => expect((await versions('typing')).length).toBeGreaterThanOrEqual(2),
        {
          timeout: 10_000,
          interval: 50,
        },
      )
    } finally {
      clearInterval(typing)
    }
    const [newer, older] = await versions('typing')
    expect(newer!.textLength).toBeGreaterThan(older!.textLength)
    expect(newer!.authors).toEqual(['Ada'])
  })
})
