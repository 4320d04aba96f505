// Hocuspocus 4.7.0 with its SQLite extension writing to DATA_DIR/hocuspocus.sqlite, otherwise
// in its default configuration (debounced stores, per-turn broadcast batching). Its own signal
// handler stores every loaded document on SIGTERM.
// Env: PORT (0 = any), HOST, DATA_DIR. Prints {"msg":"listening","url":...}.
import path from 'node:path'
import { SQLite } from '@hocuspocus/extension-sqlite'
import { Server } from '@hocuspocus/server'

const host = process.env.HOST || '127.0.0.1'
const port = Number(process.env.PORT || 0)
const dataDir = process.env.DATA_DIR
if (!dataDir) throw new Error('DATA_DIR is required')

const server = new Server({
  port,
  address: host,
  quiet: true,
  extensions: [new SQLite({ database: path.join(dataDir, 'hocuspocus.sqlite') })],
})
await server.listen()
const url = `http://${server.address.address}:${server.address.port}`
process.stdout.write(`${JSON.stringify({ msg: 'listening', url })}\n`)
