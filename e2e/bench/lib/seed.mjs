// Puts a document into the server the way any client would: a stock y-websocket provider (in
// Node, over `ws`) whose Y.Doc holds the whole state, applied from one Yjs update.
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

/** Polls `check` every `everyMs` until it returns true; throws `what` after `timeoutMs`. */
export async function until(check, timeoutMs, what, everyMs = 100) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/**
 * Stores the document `update` under `name` and waits until the server's text of it is
 * `expected`, the provider has left and the document is no longer open on the server (so that a
 * page opening it next loads it from storage).
 * @param {string} url the server's base URL
 * @param {string} name
 * @param {Uint8Array} update
 * @param {string} expected
 */
export async function storeDocument(url, name, update, expected) {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, update)
  const provider = new WebsocketProvider(url.replace(/^http/, 'ws'), name, doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
  })
  const api = `${url}/api/docs/${encodeURIComponent(name)}`
  try {
    await until(
      async () => {
        const response = await fetch(`${api}/text`)
        if (!response.ok) return false
        return (await response.text()) === expected
      },
      120_000,
      `the server to hold ${name}`,
      250,
    )
  } finally {
    provider.destroy()
    doc.destroy()
  }
  await until(
    async () => {
      const response = await fetch(`${url}/api/docs?prefix=${encodeURIComponent(name)}`)
      const { documents } = await response.json()
      return documents.some((entry) => entry.name === name && entry.connected === 0)
    },
    30_000,
    `${name} to be closed on the server`,
    250,
  )
}

/** Stores `text` under `name` through the HTTP API (one edit of one client). */
export async function storeText(url, name, text) {
  const response = await fetch(`${url}/api/docs/${encodeURIComponent(name)}/text`, {
    method: 'PUT',
    headers: { 'content-type': 'text/plain' },
    body: text,
  })
  if (!response.ok) throw new Error(`PUT text answered ${response.status}`)
}
