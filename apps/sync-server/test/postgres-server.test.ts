import pg from 'pg'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const schema = `tandem_server_${process.pid}_${Date.now()}`

describe('the server on PostgreSQL (DATABASE_URL)', () => {
  afterAll(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await client.end()
  })

  it('P8: stores documents in PostgreSQL and serves them after a restart', async () => {
    const dir = tempDir()
    const env = { DATABASE_URL: url, DATABASE_SCHEMA: schema }
    try {
      const first = await startServer(dir.path, env)
      const writer = connectClient(wsUrl(first), 'pg-doc')
      await synced(writer)
      writer.text.insert(0, 'kept in PostgreSQL')
      await vi.waitFor(async () =>
        expect((await first.store.list()).map((d) => d.name)).toEqual(['pg-doc']),
      )
      writer.destroy()
      await first.close()

      const second = await startServer(dir.path, env)
      const reader = connectClient(wsUrl(second), 'pg-doc')
      await synced(reader)
      expect(reader.text.toString()).toBe('kept in PostgreSQL')
      reader.destroy()
      await second.close()
    } finally {
      dir.remove()
    }
  })
})
