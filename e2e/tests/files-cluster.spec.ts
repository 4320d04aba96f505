import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { TandemServer } from '../fixtures/server.js'
import { expect, test } from '../fixtures/test.js'

const run = promisify(execFile)
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A real 2×2 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR42mP8z8DwnwEJMDIwMDAwAAA6vwQBnJ+TSwAAAABJRU5ErkJggg==',
  'base64',
)

test('F19: an image pasted on one node of a cluster shows in a page on another, also after the first node is killed', async ({
  newPerson,
  docName,
}) => {
  const schema = `e2e_files_${randomBytes(6).toString('hex')}`
  const env = {
    DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL,
    CLUSTER_CHANNEL_PREFIX: `${schema}:`,
  }
  const nodes = [await TandemServer.start({ env }), await TandemServer.start({ env })]
  const [a, b] = nodes as [TandemServer, TandemServer]
  try {
    const ada = await newPerson({ label: 'Ada', origin: a.url })
    await ada.open(docName)
    const grace = await newPerson({ label: 'Grace', origin: b.url })
    await grace.open(docName)
    await grace.page.getByTestId('preview-toggle').click()

    await ada.content.click()
    await ada.content.evaluate((content, base64) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
      const transfer = new DataTransfer()
      transfer.items.add(new File([data], 'node-a.png', { type: 'image/png' }))
      content.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
      )
    }, PNG.toString('base64'))
    const url = `/api/docs/${docName}/files/${createHash('sha256').update(PNG).digest('hex')}`
    // Uploaded to node A, relayed through Redis, and fetched by Grace's page from node B.
    const image = grace.preview.locator('img')
    await expect(image).toHaveAttribute('src', url)
    const loaded = () => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)
    await expect.poll(loaded).toBe(2)

    // Node A dies; node B still serves the file, from PostgreSQL.
    await ada.close()
    await a.kill('SIGKILL')
    await grace.reload()
    await expect(image).toHaveAttribute('src', url)
    await expect.poll(loaded).toBe(2)
    // Gone before the nodes stop, so that its reconnection attempts log nothing.
    await grace.close()
  } finally {
    for (const node of nodes) await node.dispose()
    await run('psql', [DATABASE_URL, '-qc', `DROP SCHEMA IF EXISTS "${schema}" CASCADE`])
  }
})
