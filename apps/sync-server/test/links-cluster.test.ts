import { CloseCode } from '@tandem/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TokenSigner } from '../src/auth/tokens.js'
import { clusterEnv, dropSchema, logsOf, Nodes, unique } from './cluster-helpers.js'
import { openRaw, type RawSocket, upgrade } from './raw.js'

/** The secret `clusterEnv` gives every node. */
const signer = new TokenSigner(
  new TextEncoder().encode('a shared secret of at least thirty-two characters'),
)

describe('share link revocation across a cluster (PostgreSQL + Redis)', () => {
  let schema: string
  const nodes = new Nodes()
  const sockets: RawSocket[] = []

  beforeEach(() => {
    schema = unique('tandem_links')
  })
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      process.stderr.write(`${context.task.name}: node logs\n${logsOf(nodes.all)}\n`)
    }
    for (const s of sockets.splice(0)) s.ws.terminate()
    await nodes.stopAll()
    await dropSchema(schema)
  })

  it('T45: a link revoked on one node closes its connection on another with 4403 and is refused there, and by a node started later', async () => {
    // A long check interval: the bus message, not the periodic re-read, must close it.
    const env = clusterEnv(schema, { AUTH_MODE: 'token', CLUSTER_CHECK_INTERVAL_MS: '600000' })
    const [a, b] = [await nodes.start(env), await nodes.start(env)]
    const alice = await signer.sign({ doc: 'notes', mode: 'edit', sub: 'alice' }, 3600)
    const minted = await fetch(new URL('/api/docs/notes/links', a.httpUrl), {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice}` },
    })
    expect(minted.status).toBe(201)
    const { link } = (await minted.json()) as { link: { id: string; token: string } }

    const onB = `${b.wsUrl}/notes?token=${encodeURIComponent(link.token)}`
    const open = await openRaw(onB)
    sockets.push(open)
    const revoked = await fetch(new URL(`/api/docs/notes/links/${link.id}`, a.httpUrl), {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${alice}` },
    })
    expect(revoked.status).toBe(204)
    expect((await open.closed).code).toBe(CloseCode.AccessRevoked)
    expect(await upgrade(onB)).toMatchObject({ status: 401 })
    const text = await fetch(new URL('/api/docs/notes/text', b.httpUrl), {
      headers: { Authorization: `Bearer ${link.token}` },
    })
    expect(text.status).toBe(401)

    // A node that was not there to hear the message reads the revocation at start.
    const c = await nodes.start(env)
    expect(await upgrade(`${c.wsUrl}/notes?token=${encodeURIComponent(link.token)}`)).toMatchObject(
      { status: 401 },
    )
  })

  it('T45: a node that missed the message finds the revocation in the store at its next check', async () => {
    const env = clusterEnv(schema, { AUTH_MODE: 'token' })
    // Node b listens on another channel prefix: it hears nothing node a publishes.
    const a = await nodes.start(env)
    const b = await nodes.start({ ...env, CLUSTER_CHANNEL_PREFIX: `${schema}:deaf:` })
    const alice = await signer.sign({ doc: 'notes', mode: 'edit', sub: 'alice' }, 3600)
    const minted = await fetch(new URL('/api/docs/notes/links', a.httpUrl), {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice}` },
    })
    const { link } = (await minted.json()) as { link: { id: string; token: string } }
    const open = await openRaw(`${b.wsUrl}/notes?token=${encodeURIComponent(link.token)}`)
    sockets.push(open)
    await fetch(new URL(`/api/docs/notes/links/${link.id}`, a.httpUrl), {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${alice}` },
    })
    // CLUSTER_CHECK_INTERVAL_MS is 1 s in clusterEnv.
    const closed = await vi.waitFor(() => open.closed, { timeout: 10_000 })
    expect(closed.code).toBe(CloseCode.AccessRevoked)
  })
})
