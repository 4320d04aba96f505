import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Tandem } from '../src/app.js'
import { TokenSigner } from '../src/auth/tokens.js'
import { SqliteStore } from '../src/persistence/sqlite.js'
import { textOf } from '../src/rooms/text.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

/** Runs the CLI as a child process; resolves with its exit code and output. */
function run(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, TANDEM_URL: '', TANDEM_TOKEN: '', ADMIN_KEY: '', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input ?? '')
  })
}

describe('the tandem CLI', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem | undefined
  const clients: Client[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server?.close()
    server = undefined
    dir?.remove()
  })

  it('O3: export, import and compact work against a running server', async () => {
    dir = tempDir()
    server = await startServer(dir.path)
    const url = server.url.href
    const watcher = connectClient(wsUrl(server), 'notes')
    clients.push(watcher)
    await synced(watcher)
    watcher.text.insert(0, 'first draft')
    await vi.waitFor(async () => expect((await server!.store.list()).length).toBe(1))

    const exported = await run(['export', '--doc', 'notes', '--url', url])
    expect(exported).toMatchObject({ code: 0, stdout: 'first draft' })

    const imported = await run(['import', '--doc', 'notes', '--url', url], {}, 'second draft\n')
    expect(imported.code).toBe(0)
    await vi.waitFor(() => expect(watcher.text.toString()).toBe('second draft\n'))

    const compacted = await run(['compact', '--url', url])
    expect(compacted.code).toBe(0)
    expect(compacted.stderr).toMatch(/compacted 1 documents/)
    expect((await server.store.load('notes'))?.updates).toEqual([])

    const missing = await run(['export', '--doc', 'nothing-here', '--url', url])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/404/)
  })

  it('O4: bad arguments exit 2 with a message and the usage', async () => {
    for (const args of [
      ['export'],
      ['token', '--doc', 'a', '--mode', 'admin'],
      ['frobnicate'],
      ['import', '--doc', '..'],
      // T34: a prefix is whole segments of a name; the empty prefix does not exist.
      ['token', '--prefix', '--doc', '/'],
      ['token', '--prefix', '--doc', 'a//b'],
      ['token', '--doc', 'a', '--sub', ' '],
    ]) {
      const result = await run(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr).toMatch(/tandem: .+\n\nUsage: tandem/)
    }
    const help = await run(['--help'])
    expect(help).toMatchObject({ code: 0 })
    expect(help.stdout).toMatch(/^Usage: tandem <command>/)
  })

  it('O5: token prints a token the server accepts, with the claims asked for', async () => {
    dir = tempDir()
    const secret = 'a-secret-of-at-least-thirty-two-chars'
    const result = await run(
      [
        'token',
        '--doc',
        'notes',
        '--mode',
        'view',
        '--sub',
        'ada-1',
        '--name',
        'Ada',
        '--ttl',
        '60',
      ],
      {
        AUTH_SECRET: secret,
        DATA_DIR: dir.path,
      },
    )
    expect(result.code).toBe(0)
    const claims = await new TokenSigner(new TextEncoder().encode(secret)).verify(
      result.stdout.trim(),
    )
    expect(claims).toMatchObject({ doc: 'notes', mode: 'view', sub: 'ada-1', name: 'Ada' })
  })

  it('O6: in token mode the server-wide routes need ADMIN_KEY, which also opens every document', async () => {
    dir = tempDir()
    server = await startServer(dir.path, {
      AUTH_MODE: 'token',
      AUTH_SECRET: 'a-secret-of-at-least-thirty-two-chars',
      ADMIN_KEY: 'the-admin-key-0123',
    })
    const list = (token?: string) =>
      fetch(new URL('/api/docs', server!.url), {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      })
    expect((await list()).status).toBe(401)
    expect((await list('wrong-key-wrong-key')).status).toBe(401)
    expect((await list('the-admin-key-0123')).status).toBe(200)
    const url = server.url.href
    expect((await run(['import', '--doc', 'admin-doc', '--url', url], {}, 'x')).code).toBe(1)
    const ok = await run(
      ['import', '--doc', 'admin-doc', '--url', url],
      { ADMIN_KEY: 'the-admin-key-0123' },
      'by the admin',
    )
    expect(ok.code).toBe(0)
    const exported = await run([
      'export',
      '--doc',
      'admin-doc',
      '--url',
      url,
      '--token',
      'the-admin-key-0123',
    ])
    expect(exported.stdout).toBe('by the admin')
  })

  it('O7: backup copies the SQLite database, files included, while the server runs; the copy opens as a data dir', async () => {
    dir = tempDir()
    server = await startServer(dir.path)
    const writer = connectClient(wsUrl(server), 'kept')
    clients.push(writer)
    await synced(writer)
    writer.text.insert(0, 'saved before the backup')
    await vi.waitFor(async () => expect((await server!.store.list()).length).toBe(1))
    // The document's files are in the same database, so the backup holds them too.
    const picture = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])
    const uploaded = await fetch(new URL('/api/docs/kept/files?name=p.png', server.url), {
      method: 'POST',
      body: picture,
    })
    expect(uploaded.status).toBe(201)
    const { hash } = (await uploaded.json()) as { hash: string }
    // Still connected and editing: the backup runs beside the server's writes.
    writer.text.insert(0, '> ')
    const copy = join(dir.path, 'copy.db')
    const result = await run(['backup', copy], { DATA_DIR: dir.path })
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/^backed up .*tandem\.db to .*copy\.db \(\d+ bytes\)/)
    const restored = join(dir.path, 'restored')
    mkdirSync(restored)
    renameSync(copy, join(restored, 'tandem.db'))
    const store = await SqliteStore.open(restored)
    try {
      const stored = await store.load('kept')
      const state = (await import('yjs')).mergeUpdates([
        ...(stored?.snapshot ? [stored.snapshot] : []),
        ...(stored?.updates ?? []),
      ])
      expect(textOf(state)).toMatch(/^(> )?saved before the backup$/)
      expect([...((await store.loadFile('kept', hash))?.bytes ?? [])]).toEqual([...picture])
    } finally {
      await store.close(1_000)
    }

    const again = await run(['backup', join(restored, 'tandem.db')], { DATA_DIR: dir.path })
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/exists; choose a new file/)
    const postgres = await run(['backup', join(dir.path, 'pg.db')], {
      DATABASE_URL: 'postgres://localhost/tandem',
    })
    expect(postgres.code).toBe(2)
    expect(postgres.stderr).toMatch(/pg_dump/)
    expect(existsSync(join(dir.path, 'pg.db'))).toBe(false)
  })
})
