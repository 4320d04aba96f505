// Memory per idle connection: `connections` stock clients over `rooms` rooms (a Y.Doc and an
// awareness state each, as an open browser tab has), connected and synced, then idle. The
// server's RSS and heap (after full collections) before and after, divided by the count.
import * as Y from 'yjs'
import { openAll, stockProvider } from './protocol.mjs'

/**
 * @param {import('./protocol.mjs').Target} target
 * @param {{ connections: number, rooms: number, roomPrefix: string, settleMs: number }} params
 * @param {import('./worker.mjs').Harness} harness
 */
export async function run(target, params, harness) {
  await new Promise((resolve) => setTimeout(resolve, params.settleMs))
  const before = await harness.memory()
  const clients = await openAll(params.connections, 50, async (i) => {
    const doc = new Y.Doc()
    const stock = stockProvider(target, `${params.roomPrefix}-${i % params.rooms}`, doc)
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
      externalPerConnKB: (after.external - before.external) / n / 1024,
    },
    before,
    after,
    converged: true,
  }
}
