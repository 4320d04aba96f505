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

/** Attempts an upgrade; resolves with the HTTP status of the refusal (or 101) and its Retry-After. */
export function upgrade(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] })
      ws.terminate()
    })
    ws.once('open', () => {
      resolve({ status: 101 })
      ws.close()
    })
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err)
    })
  })
}

/** The HTTP status of an upgrade attempt (101 if it succeeded). */
export async function upgradeStatus(url: string): Promise<number> {
  return (await upgrade(url)).status
}

/** One client-to-server WebSocket frame (masked, as RFC 6455 requires of clients). */
export function encodeFrame(opcode: number, payload: Uint8Array, fin: boolean): Buffer {
  const mask = Buffer.from([1, 2, 3, 4])
  const length = payload.length
  const header =
    length < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | length])
      : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, length >> 8, length & 0xff])
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))
  return Buffer.concat([header, mask, masked])
}

/**
 * A raw TCP connection that completes the WebSocket handshake for `path` and then lets the
 * test write arbitrary frames. `closeCode` resolves with the code of the server's close frame,
 * or 1006 if the connection ended without one.
 */
export async function openTcpWebSocket(
  host: string,
  port: number,
  path: string,
): Promise<{ socket: import('node:net').Socket; closeCode: Promise<number> }> {
  const { connect } = await import('node:net')
  const socket = connect({ host, port })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  )
  let received = Buffer.alloc(0)
  let upgraded = false
  const closeCode = new Promise<number>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      // After the 101 response, look for a close frame (opcode 8) carrying a 2-byte code.
      if (!upgraded) {
        const end = received.indexOf('\r\n\r\n')
        if (end < 0) return
        upgraded = true
        received = received.subarray(end + 4)
      }
      for (let i = 0; i + 1 < received.length; ) {
        const opcode = received[i]! & 0x0f
        const length = received[i + 1]! & 0x7f
        const headerLength = length === 126 ? 4 : length === 127 ? 10 : 2
        if (i + headerLength > received.length) break
        const payloadLength =
          length === 126
            ? received.readUInt16BE(i + 2)
            : length === 127
              ? Number(received.readBigUInt64BE(i + 2))
              : length
        if (i + headerLength + payloadLength > received.length) break
        if (opcode === 8 && payloadLength >= 2) {
          resolve(received.readUInt16BE(i + headerLength))
          return
        }
        if (opcode === 9) {
          // Answer pings as a live client would, so only the rule under test can drop us.
          const payload = received.subarray(i + headerLength, i + headerLength + payloadLength)
          socket.write(encodeFrame(0xa, payload, true))
        }
        i += headerLength + payloadLength
        received = received.subarray(i)
        i = 0
      }
    })
    socket.on('close', () => resolve(1006))
    socket.on('error', () => resolve(1006))
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').startsWith('HTTP/1.1 101')) resolve()
      else reject(new Error(`handshake refused: ${chunk.toString('latin1').split('\r\n')[0]}`))
    })
  })
  return { socket, closeCode }
}
