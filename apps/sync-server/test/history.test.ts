import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { VersionJson } from '../src/api/context.js'
import { createApiHandler } from '../src/api/routes.js'
import { allowAll } from '../src/auth/access.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/log.js'
import { SqliteStore } from '../src/persistence/sqlite.js'
import { Rooms, type RoomsOptions } from '../src/rooms/rooms.js'
import { createRequestHandler } from '../src/transport/http.js'
import { WebSocketTransport } from '../src/transport/websocket.js'
import { type Client, connectClient, synced, tempDir } from './helpers.js'

interface Running {
  url: URL
  close(): Promise<void>
}

/**
 * The server as `startTandem` composes it (SQLite on disk, stock transport, the API), with the
 * rooms' version timings set small. Until the timings are settings of their own, this is how a
 * test reaches them.
 */
async function startWithTimings(dataDir: string, timings: Partial<RoomsOptions>): Promise<Running> {
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, WEB_DIR: '' })
  const log = createLogger('silent')
  const store = SqliteStore.open(dataDir)
  const rooms = new Rooms(
    store,
    {
      maxAwarenessStateBytes: config.MAX_AWARENESS_STATE_BYTES,
      compactAfterUpdates: config.COMPACT_AFTER_UPDATES,
      quietEchoMs: 10_000,
      unloadDelayMs: config.ROOM_UNLOAD_DELAY_MS,
      ...timings,
    },
    log,
  )
  const websockets = new WebSocketTransport(
    rooms,
    {
      maxMessageBytes: config.MAX_MESSAGE_BYTES,
      maxBufferedBytes: config.MAX_BUFFERED_BYTES,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
      idleTimeoutMs: config.IDLE_TIMEOUT_MS,
      maxMessagesPerSecond: config.MAX_MESSAGES_PER_SECOND,
      maxBytesPerSecond: config.MAX_BYTES_PER_SECOND,
      maxConnectionsPerIp: config.MAX_CONNECTIONS_PER_IP,
      maxConnectionsPerDoc: config.MAX_CONNECTIONS_PER_DOC,
      maxUpgradesPerIpPerMinute: config.MAX_UPGRADES_PER_IP_PER_MINUTE,
      maxLoadedDocs: config.MAX_LOADED_DOCS,
      allowedOrigins: null,
      authorize: allowAll,
    },
    log,
  )
  const api = createApiHandler({ rooms, store, authorize: allowAll, log })
  const server = createServer(
    createRequestHandler({ webDir: '', readiness: () => store.health(), api }, log),
  )
  server.on('upgrade', websockets.handleUpgrade)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      await rooms.close()
      websockets.close()
      server.closeAllConnections()
      await stopped
      await store.close()
    },
  }
}

describe('automatic versions against a real server', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Running
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
    server = await startWithTimings(dir.path, { versionQuietMs: 300, versionMaxIntervalMs: 60_000 })
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
    server = await startWithTimings(dir.path, { versionQuietMs: 60_000, versionMaxIntervalMs: 300 })
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
