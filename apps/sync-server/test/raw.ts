import { WebSocket } from 'ws'

/** A raw WebSocket client: sends whatever bytes a test gives it. */
export interface RawSocket {
  ws: WebSocket
  /** Every binary message received so far. */
  received: Uint8Array[]
  /** Resolves with the close code the server sent. */
  closed: Promise<{ code: number; reason: string }>
}

export function openRaw(url: string): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    const received: Uint8Array[] = []
    const closed = new Promise<{ code: number; reason: string }>((done) => {
      ws.on('close', (code, reason) => done({ code, reason: reason.toString() }))
    })
    ws.on('message', (data) => received.push(new Uint8Array(data as Buffer)))
    ws.once('open', () => resolve({ ws, received, closed }))
    ws.once('error', reject)
  })
}

/** Attempts an upgrade and resolves with the HTTP status of the refusal (or 101). */
export function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.once('open', () => {
      resolve(101)
      ws.close()
    })
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err)
    })
  })
}
