// The floor: a raw `ws` 8.23.0 server doing no Yjs work at all. `/echo` sends every message back
// to its sender; `/room/<name>` relays every message to the room's other sockets, like a Yjs
// relay that neither decodes, stores, nor echoes. Env: PORT (0 = any), HOST.
import http from 'node:http'
import { WebSocketServer } from 'ws'

const host = process.env.HOST || '127.0.0.1'
const port = Number(process.env.PORT || 0)

/** @type {Map<string, Set<import('ws').WebSocket>>} */
const rooms = new Map()
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false })
const server = http.createServer((_request, response) => {
  response.writeHead(200)
  response.end('okay')
})

server.on('upgrade', (request, socket, head) => {
  const path = request.url ?? '/'
  wss.handleUpgrade(request, socket, head, (ws) => {
    if (path === '/echo') {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
      return
    }
    const name = path.startsWith('/room/') ? path.slice(6) : path.slice(1)
    let room = rooms.get(name)
    if (!room) {
      room = new Set()
      rooms.set(name, room)
    }
    room.add(ws)
    ws.on('message', (data, isBinary) => {
      for (const peer of /** @type {Set<import('ws').WebSocket>} */ (room)) {
        if (peer !== ws && peer.readyState === 1) peer.send(data, { binary: isBinary })
      }
    })
    ws.on('close', () => {
      room.delete(ws)
      if (room.size === 0) rooms.delete(name)
    })
  })
})

server.listen(port, host, () => {
  const address = server.address()
  const url = `http://${address.address}:${address.port}`
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url })}\n`)
})
process.once('SIGTERM', () => process.exit(0))
