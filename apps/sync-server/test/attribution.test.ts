import type { AttributionAuthor, AttributionRecord } from '@tandem/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import type { Tandem } from '../src/app.js'
import { TokenSigner } from '../src/auth/tokens.js'
import { clusterEnv, dropSchema, logsOf, Nodes, unique } from './cluster-helpers.js'
import { type Client, connectClient, startServer, synced, tempDir } from './helpers.js'

const SECRET = 'a shared secret of at least thirty-two characters'
const signer = new TokenSigner(new TextEncoder().encode(SECRET))
const DOC = 'minutes'

/** A token for `name` (subject `sub`) to edit {@link DOC}. */
const tokenOf = (sub: string, name: string) =>
  signer.sign({ doc: DOC, mode: 'edit', sub, name }, 3600)

interface AttributionJson {
  enabled: boolean
  text: string
  spans: {
    from: number
    to: number
    author: { id: number; name: string; verified: boolean } | null
    time: string | null
  }[]
  authors: AttributionAuthor[]
}

interface IdsJson {
  enabled: boolean
  authors: AttributionAuthor[]
  records: AttributionRecord[]
}

async function getJson<T>(base: URL | string, path: string, token?: string): Promise<T> {
  const response = await fetch(new URL(path, base), {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  })
  expect(response.status, await response.clone().text()).toBe(200)
  return (await response.json()) as T
}

/** The author's name of every character of the answer's text, one entry per character. */
function namesByCharacter(answer: AttributionJson): (string | null)[] {
  const names: (string | null)[] = []
  for (const span of answer.spans) {
    for (let i = span.from; i < span.to; i++) names.push(span.author?.name ?? null)
  }
  expect(names).toHaveLength(answer.text.length)
  return names
}

/** `name` once per character of `text`. */
const by = (name: string, text: string) => [...text].map(() => name)

/** Who deleted the ids of `client`'s clocks `from` to `to - 1`, by the records (one author). */
function deleterOf(ids: IdsJson, client: number, from: number, to: number): string[] {
  const names = new Set<string>()
  for (const record of ids.records) {
    const d = record.deletes
    for (let i = 0; i < d.length; i += 3) {
      if (d[i] === client && d[i + 1]! < to && d[i + 1]! + d[i + 2]! > from) {
        names.add(ids.authors.find((a) => a.id === record.author)!.name)
      }
    }
  }
  return [...names]
}

/**
 * The scenario of issue 18: three people with their own tokens type a sentence each; Bob
 * deletes Ada's; a version taken before is restored by Cy. Returns what the checks need.
 */
async function scenario(
  connect: (who: 'ada' | 'bob' | 'cy', token: string) => Client,
  api: URL | string,
) {
  const [adaToken, bobToken, cyToken] = await Promise.all([
    tokenOf('ada', 'Ada'),
    tokenOf('bob', 'Bob'),
    tokenOf('cy', 'Cy'),
  ])
  const ada = connect('ada', adaToken)
  const bob = connect('bob', bobToken)
  const cy = connect('cy', cyToken)
  await Promise.all([synced(ada), synced(bob), synced(cy)])
  const typeInto = async (client: Client, text: string) => {
    // Keystroke by keystroke, as a person types: many updates, merged by the server in bursts.
    for (const ch of text) client.text.insert(client.text.length, ch)
    await vi.waitFor(() => expect(cy.text.toString()).toContain(text), { timeout: 20_000 })
    await vi.waitFor(() => expect(ada.text.toString()).toContain(text), { timeout: 20_000 })
    await vi.waitFor(() => expect(bob.text.toString()).toContain(text), { timeout: 20_000 })
  }
  await typeInto(ada, 'Hello from Ada. ')
  await typeInto(bob, 'Bob was here. ')
  await typeInto(cy, 'Cy too.')
  const all = 'Hello from Ada. Bob was here. Cy too.'
  // A version of all three sentences, saved by Ada through the API.
  const saved = await fetch(new URL(`/api/docs/${DOC}/versions`, api), {
    method: 'POST',
    headers: { Authorization: `Bearer ${adaToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ label: 'all three' }),
  })
  expect(saved.status).toBe(201)
  const { version } = (await saved.json()) as { version: { id: number } }
  // Bob deletes Ada's sentence.
  bob.text.delete(0, 'Hello from Ada. '.length)
  const afterDelete = 'Bob was here. Cy too.'
  for (const c of [ada, bob, cy]) {
    await vi.waitFor(() => expect(c.text.toString()).toBe(afterDelete), { timeout: 20_000 })
  }
  await vi.waitFor(
    async () => {
      const answer = await getJson<AttributionJson>(api, `/api/docs/${DOC}/attribution`, cyToken)
      expect(answer.text).toBe(afterDelete)
    },
    { timeout: 20_000 },
  )
  const beforeRestore = await getJson<AttributionJson>(api, `/api/docs/${DOC}/attribution`, cyToken)
  // Cy restores the version: Ada's sentence comes back, as Cy's edit.
  const restored = await fetch(new URL(`/api/docs/${DOC}/versions/${version.id}/restore`, api), {
    method: 'POST',
    headers: { Authorization: `Bearer ${cyToken}` },
  })
  expect(restored.status).toBe(200)
  for (const c of [ada, bob, cy]) {
    await vi.waitFor(() => expect(c.text.toString()).toBe(all), { timeout: 20_000 })
  }
  return { ada, bob, cy, adaToken, beforeRestore, all }
}

/** What the scenario must leave: every character and every deletion attributed. */
async function expectAttributed(api: URL | string, token: string, adaClient: number) {
  const answer = await getJson<AttributionJson>(api, `/api/docs/${DOC}/attribution`, token)
  expect(answer.enabled).toBe(true)
  expect(answer.text).toBe('Hello from Ada. Bob was here. Cy too.')
  expect(namesByCharacter(answer)).toEqual([
    ...by('Cy', 'Hello from Ada. '),
    ...by('Bob', 'Bob was here. '),
    ...by('Cy', 'Cy too.'),
  ])
  expect(answer.spans.every((s) => s.author?.verified === true && s.time !== null)).toBe(true)
  expect(answer.authors.map((a) => a.name).sort()).toEqual(['Ada', 'Bob', 'Cy'])
  const ids = await getJson<IdsJson>(api, `/api/docs/${DOC}/attribution?view=ids`, token)
  // Ada's sentence: inserted by Ada (her client's first 16 clocks), deleted by Bob.
  const adaRecords = ids.records.filter(
    (r) => ids.authors.find((a) => a.id === r.author)?.name === 'Ada',
  )
  expect(adaRecords.flatMap((r) => r.inserts)).toEqual([adaClient, 0, 16])
  expect(deleterOf(ids, adaClient, 0, 16)).toEqual(['Bob'])
  return answer
}

describe('attribution against a real server (issue 18)', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem | null = null
  const clients: Client[] = []

  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server?.close()
    server = null
    dir.remove()
  })

  const start = async (env: Record<string, string> = {}) => {
    server = await startServer(dir.path, { AUTH_MODE: 'token', AUTH_SECRET: SECRET, ...env })
    return server
  }
  const connectTo = (tandem: Tandem) => (_who: string, token: string) => {
    const client = connectClient(`ws://${tandem.url.host}`, DOC, new Y.Doc(), { token })
    clients.push(client)
    return client
  }

  it('B1, B2, B5, B6: three token users, a deletion and a restore: every character and deletion attributed, after compaction and a restart', async () => {
    const tandem = await start()
    const { ada, adaToken, beforeRestore } = await scenario(connectTo(tandem), tandem.url)
    const adaClient = ada.doc.clientID
    // Before the restore: Bob's and Cy's sentences, Ada's gone (deleted by Bob).
    expect(beforeRestore.text).toBe('Bob was here. Cy too.')
    expect(namesByCharacter(beforeRestore)).toEqual([
      ...by('Bob', 'Bob was here. '),
      ...by('Cy', 'Cy too.'),
    ])
    await expectAttributed(tandem.url, adaToken, adaClient)

    // Who changed each version: the named one, all three; the one kept before the restore, Bob.
    const { versions } = await getJson<{
      versions: { kind: string; changedBy: { name: string }[] }[]
    }>(tandem.url, `/api/docs/${DOC}/versions`, adaToken)
    const names = (kind: string) =>
      versions
        .find((v) => v.kind === kind)!
        .changedBy.map((a) => a.name)
        .sort()
    expect(names('named')).toEqual(['Ada', 'Bob', 'Cy'])
    expect(names('restore')).toEqual(['Bob'])

    // Compaction folds the log: the attribution stays.
    const room = await tandem.rooms.get(DOC)
    await room!.compact()
    expect((await tandem.store.load(DOC))!.updates).toHaveLength(0)
    const compacted = await expectAttributed(tandem.url, adaToken, adaClient)

    // A restart: read back from the SQLite file.
    for (const c of clients.splice(0)) c.destroy()
    await tandem.close()
    const again = await start()
    const reread = await expectAttributed(again.url, adaToken, adaClient)
    expect(reread.spans).toEqual(compacted.spans)
  }, 90_000)

  it('B1: an open-mode edit is attributed to the name its presence gives, unverified', async () => {
    const tandem = await startServer(dir.path)
    server = tandem
    const zed = connectClient(`ws://${tandem.url.host}`, DOC)
    clients.push(zed)
    zed.provider.awareness.setLocalStateField('user', { name: 'Zed', color: '#aa3355' })
    await synced(zed)
    zed.text.insert(0, 'open mode')
    await vi.waitFor(
      async () => {
        const answer = await getJson<AttributionJson>(tandem.url, `/api/docs/${DOC}/attribution`)
        expect(answer.spans).toEqual([
          {
            from: 0,
            to: 9,
            author: { id: answer.authors[0]!.id, name: 'Zed', verified: false, color: '#aa3355' },
            time: expect.any(String),
          },
        ])
      },
      { timeout: 20_000 },
    )
  })

  it('B1: a connection that keeps renaming itself is attributed to at most 16 names', async () => {
    const tandem = await startServer(dir.path)
    server = tandem
    const client = connectClient(`ws://${tandem.url.host}`, DOC)
    clients.push(client)
    await synced(client)
    for (let i = 0; i < 24; i++) {
      client.provider.awareness.setLocalStateField('user', { name: `Name ${i}` })
      client.text.insert(client.text.length, `${i % 10}`)
      // Each edit stored on its own (a burst of one peer's frames is stored as one, S9).
      await vi.waitFor(
        async () => expect((await tandem.store.lastSeqs([DOC])).get(DOC)).toBe(i + 1),
        { timeout: 20_000 },
      )
    }
    await vi.waitFor(
      async () => {
        const answer = await getJson<AttributionJson>(tandem.url, `/api/docs/${DOC}/attribution`)
        expect(answer.text).toHaveLength(24)
        expect(answer.spans.every((s) => s.author !== null)).toBe(true)
        expect(answer.authors.map((a) => a.name)).toEqual(
          Array.from({ length: 16 }, (_, i) => `Name ${i}`),
        )
      },
      { timeout: 20_000 },
    )
  }, 90_000)

  it('B4: ATTRIBUTION=on keeps deleted text through compaction for the timeline; authors records who without it', async () => {
    for (const mode of ['on', 'authors'] as const) {
      const tandem = await start({ ATTRIBUTION: mode })
      const token = await tokenOf('ada', 'Ada')
      const ada = connectTo(tandem)('ada', token)
      await synced(ada)
      ada.text.insert(0, 'keep this, drop SECRETWORD')
      ada.text.delete(ada.text.length - 'SECRETWORD'.length, 'SECRETWORD'.length)
      await vi.waitFor(
        async () => expect((await tandem.store.lastSeqs([DOC])).get(DOC)).toBeGreaterThan(0),
        { timeout: 20_000 },
      )
      await (await tandem.rooms.get(DOC))!.flush()
      await (await tandem.rooms.get(DOC))!.compact()
      const timeline = await getJson<IdsJson & { state: string; keepsDeletedText: boolean }>(
        tandem.url,
        `/api/docs/${DOC}/timeline`,
        token,
      )
      expect(timeline.records.length).toBeGreaterThan(0)
      expect(timeline.keepsDeletedText).toBe(mode === 'on')
      const stored = Buffer.from(timeline.state, 'base64').toString('latin1')
      expect(stored.includes('SECRETWORD'), mode).toBe(mode === 'on')
      for (const c of clients.splice(0)) c.destroy()
      await tandem.close()
      server = null
      dir.remove()
      dir = tempDir()
    }
  }, 90_000)

  it('B7: with ATTRIBUTION=off nothing is recorded and the answers say so', async () => {
    const tandem = await start({ ATTRIBUTION: 'off' })
    const token = await tokenOf('ada', 'Ada')
    const ada = connectTo(tandem)('ada', token)
    await synced(ada)
    ada.text.insert(0, 'private')
    await vi.waitFor(
      async () => {
        const text = await fetch(new URL(`/api/docs/${DOC}/text`, tandem.url), {
          headers: { Authorization: `Bearer ${token}` },
        })
        expect(await text.text()).toBe('private')
      },
      { timeout: 20_000 },
    )
    const answer = await getJson<AttributionJson>(tandem.url, `/api/docs/${DOC}/attribution`, token)
    expect(answer).toMatchObject({ enabled: false, text: 'private', authors: [] })
    expect(answer.spans).toEqual([{ from: 0, to: 7, author: null, time: null }])
    const ids = await getJson<IdsJson>(tandem.url, `/api/docs/${DOC}/attribution?view=ids`, token)
    expect(ids).toEqual({ enabled: false, authors: [], records: [] })
  })

  it('B8: the routes need view access, refuse another view and answer 404 for an unknown document', async () => {
    const tandem = await start()
    const token = await tokenOf('ada', 'Ada')
    const noToken = await fetch(new URL(`/api/docs/${DOC}/attribution`, tandem.url))
    expect(noToken.status).toBe(401)
    const other = await signer.sign({ doc: 'other', mode: 'view', sub: 'x' }, 3600)
    const wrong = await fetch(new URL(`/api/docs/${DOC}/timeline`, tandem.url), {
      headers: { Authorization: `Bearer ${other}` },
    })
    expect(wrong.status).toBe(403)
    const bad = await fetch(new URL(`/api/docs/${DOC}/attribution?view=html`, tandem.url), {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_query')
    const unknown = await fetch(new URL(`/api/docs/${DOC}/attribution`, tandem.url), {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(unknown.status).toBe(404)
  })
})

describe('attribution across a cluster (PostgreSQL + Redis, issue 18)', () => {
  let schema: string
  const nodes = new Nodes()
  const clients: Client[] = []

  beforeEach(() => {
    schema = unique('tandem_attr')
  })
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      process.stderr.write(`${context.task.name}: node logs\n${logsOf(nodes.all)}\n`)
    }
    for (const c of clients.splice(0)) c.destroy()
    await nodes.stopAll()
    await dropSchema(schema)
  })

  it('B1, B2: the three on two nodes: either node attributes every character and deletion', async () => {
    const env = clusterEnv(schema, { AUTH_MODE: 'token', AUTH_SECRET: SECRET })
    const [a, b] = [await nodes.start(env), await nodes.start(env)]
    const { ada, adaToken } = await scenario((who, token) => {
      // Ada and Cy on node a, Bob on node b.
      const node = who === 'bob' ? b : a
      const client = connectClient(node.wsUrl, DOC, new Y.Doc(), { token })
      clients.push(client)
      return client
    }, a.httpUrl)
    await expectAttributed(b.httpUrl, adaToken, ada.doc.clientID)
    await expectAttributed(a.httpUrl, adaToken, ada.doc.clientID)
  }, 90_000)
})
