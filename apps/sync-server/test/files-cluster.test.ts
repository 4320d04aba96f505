import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { clusterEnv, dropSchema, logsOf, Nodes, unique } from './cluster-helpers.js'

/** A real 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)

describe('files across a cluster (PostgreSQL + Redis)', () => {
  let schema: string
  const nodes = new Nodes()

  beforeEach(() => {
    schema = unique('tandem_files')
  })
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      process.stderr.write(`${context.task.name}: node logs\n${logsOf(nodes.all)}\n`)
    }
    await nodes.stopAll()
    await dropSchema(schema)
  })

  it('F19: a file uploaded to one node is served by another, also after the first is killed, and the limit holds across nodes', async () => {
    const env = clusterEnv(schema, { FILE_MAX_BYTES_PER_DOC: String(PNG.length + 10) })
    const [a, b] = [await nodes.start(env), await nodes.start(env)]
    const uploaded = await fetch(new URL('/api/docs/notes/files?name=shot.png', a.httpUrl), {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: PNG,
    })
    expect(uploaded.status).toBe(201)
    const { url } = (await uploaded.json()) as { url: string }
    expect(url).toBe(`/api/docs/notes/files/${createHash('sha256').update(PNG).digest('hex')}`)

    a.child.kill('SIGKILL')
    await a.exited
    const served = await fetch(new URL(url, b.httpUrl))
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await served.arrayBuffer())).toEqual(PNG)

    // The document's room is full on every node.
    const more = await fetch(new URL('/api/docs/notes/files', b.httpUrl), {
      method: 'POST',
      body: Buffer.alloc(11, 1),
    })
    expect(more.status).toBe(413)
    expect(((await more.json()) as { error: string }).error).toBe('document_files_full')
  })
})
