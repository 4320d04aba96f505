// The reference server, @y/websocket-server 0.1.1, as its own CLI (`src/server.js`) runs it, with
// its built-in LevelDB persistence (`YPERSISTENCE`) switched on so that it stores documents as
// Tandem and Hocuspocus do. Two differences from that CLI: `ws` 8.23.0 instead of the CLI's
// optional `ws@^6`, and SIGTERM closes LevelDB after its queued writes (the CLI has no handler).
// Env: PORT (0 = any), HOST, YPERSISTENCE (directory). Prints {"msg":"listening","url":...}.
import http from 'node:http'
import { getPersistence, setupWSConnection } from '@y/websocket-server/utils'
import { WebSocketServer } from 'ws'

const host = process.env.HOST || '127.0.0.1'
const port = Number(process.env.PORT || 0)

const wss = new WebSocketServer({ noServer: true })
const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain' })
  response.end('okay')
})
wss.on('connection', setupWSConnection)
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request))
})

server.listen(port, host, () => {
  const address = server.address()
  const url = `http://${address.address}:${address.port}`
  process.stdout.write(
    `${JSON.stringify({ msg: 'listening', url, persistence: !!getPersistence() })}\n`,
  )
})

process.once('SIGTERM', async () => {
  server.close()
  for (const ws of wss.clients) ws.terminate()
  await getPersistence()?.provider.destroy()
  process.exit(0)
})
