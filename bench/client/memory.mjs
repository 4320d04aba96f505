// Memory per idle connection: `connections` stock clients over `rooms` rooms (a Y.Doc and an
// awareness state each, as an open browser tab has), connected and synced, then idle; or, with
// `raw`, raw clients that sync and announce their presence once (many thousands fit in one load
// generator). The server's RSS and heap (after full collections) before and after, `settleMs`
// after the last one opened, divided by the count; and connections per GiB of that RSS.
import * as Y from 'yjs'
import { openAll, RawClient, stockProvider } from './protocol.mjs'

/**
 * @param {import('./protocol.mjs').Target} target
 * @param {{ connections: number, rooms: number, roomPrefix: string, settleMs: number,
 *   raw?: boolean }} params
 * @param {import('./worker.mjs').Harness} harness
 */
export async function run(target, params, harness) {
  await new Promise((resolve) => setTimeout(resolve, params.settleMs))
  const before = await harness.memory()
  const clients = await openAll(params.connections, 50, async (i) => {
    const room = `${params.roomPrefix}-${i % params.rooms}`
    if (params.raw) {
      const raw = new RawClient(target, room)
      await raw.ready
      raw.send(raw.awarenessFrame(i + 1, { user: { name: `user ${i}`, color: '#30bced' } }))
      return { destroy: () => raw.close() }
    }
    const doc = new Y.Doc()
    const stock = stockProvider(target, room, doc)
    stock.provider.awareness.setLocalStateField('user', { name: `user ${i}`, color: '#30bced' })
    await stock.synced
    return stock
  })
  await new Promise((resolve) => setTimeout(resolve, params.settleMs))
  const after = await harness.memory()
  for (const client of clients) client.destroy()
  const n = params.connections
  return {
    metrics: {
      rssPerConnKB: (after.rss - before.rss) / n / 1024,
      heapPerConnKB: (after.heapUsed - before.heapUsed) / n / 1024,
      connsPerGiB: n / ((after.rss - before.rss) / 2 ** 30),
      rssMB: after.rss / 2 ** 20,
      externalPerConnKB: (after.external - before.external) / n / 1024,
    },
    before,
    after,
    converged: true,
  }
}
