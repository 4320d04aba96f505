import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { clusterEnv, dropSchema, logsOf, Nodes, namesSeenBy, unique } from './cluster-helpers.js'
import { type Client, connectClient, synced } from './helpers.js'
import { connectHp, flavours, type HpClient, names } from './hocuspocus-helpers.js'

/** `vi.waitFor` with room for a busy machine. */
function waitFor<T>(check: () => T | Promise<T>, timeout = 15_000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 20 })
}

describe.each(flavours)('@hocuspocus/provider $line in a cluster', (flavour) => {
  let schema: string
  const nodes = new Nodes()
  const clients: (Client | HpClient)[] = []

  beforeEach(() => {
    schema = unique('tandem_hp_cluster')
  })
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      process.stderr.write(`${context.task.name}: node logs\n${logsOf(nodes.all)}\n`)
    }
    for (const c of clients.splice(0)) c.destroy()
    await nodes.stopAll()
    await dropSchema(schema)
  })

  it('Y1, N1: a Hocuspocus client on one node and a y-websocket client on another converge, text and presence', async () => {
    const env = clusterEnv(schema)
    const [a, b] = await Promise.all([nodes.start(env), nodes.start(env)])
    const doc = unique('doc')
    const hp = connectHp(flavour, a!.wsUrl, doc)
    const yws = connectClient(b!.wsUrl, doc)
    clients.push(hp, yws)
    hp.provider.setAwarenessField('user', { name: 'Hocus' })
    yws.provider.awareness.setLocalStateField('user', { name: 'Yws' })
    await Promise.all([waitFor(() => expect(hp.provider.synced).toBe(true)), synced(yws)])

    hp.text.insert(0, 'from node a;')
    await waitFor(() => expect(yws.text.toString()).toBe('from node a;'))
    yws.text.insert(yws.text.length, 'from node b;')
    await waitFor(() => expect(hp.text.toString()).toBe('from node a;from node b;'))
    // Concurrent typing on both nodes converges, each edit once.
    for (let i = 0; i < 50; i++) {
      hp.text.insert(hp.text.length, `<h${i}>`)
      yws.text.insert(0, `<y${i}>`)
    }
    await waitFor(() => {
      const text = hp.text.toString()
      expect(yws.text.toString()).toBe(text)
      expect(text.match(/<[hy]\d+>/g)).toHaveLength(100)
    })
    await waitFor(() => expect(hp.provider.hasUnsyncedChanges).toBe(false))
    await waitFor(() => {
      expect(names(hp.provider.awareness)).toEqual(['Hocus', 'Yws'])
      expect(namesSeenBy(yws)).toEqual(['Hocus', 'Yws'])
    })
    // A Hocuspocus client leaving node a takes its cursor with it on node b.
    clients.splice(clients.indexOf(hp), 1)
    hp.destroy()
    await waitFor(() => expect(namesSeenBy(yws)).toEqual(['Yws']))
  })
})
