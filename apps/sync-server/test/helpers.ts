import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeSavedRequest, isUpdateFrame, MessageType } from '@tandem/protocol'
import * as decoding from 'lib0/decoding'
import { WebSocket } from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { startTandem, type Tandem } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/log.js'
import type { DocStore } from '../src/persistence/store.js'

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix = 'tandem-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** Starts a real server on 127.0.0.1 port 0 with its data in `dataDir`. */
export async function startServer(
  dataDir: string,
  env: Record<string, string> = {},
  store?: DocStore,
): Promise<Tandem> {
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    WEB_DIR: '',
    ...env,
  })
  return startTandem(config, createLogger('silent'), store)
}

/** The `ws://` base URL of a running server, as a y-websocket client expects it. */
export function wsUrl(tandem: Tandem): string {
  return `ws://${tandem.url.host}`
}

export interface Client {
  doc: Y.Doc
  text: Y.Text
  provider: WebsocketProvider
  destroy(): void
}

/** A stock y-websocket client in Node, editing the shared text `codemirror` of `name`. */
export function connectClient(
  url: string,
  name: string,
  doc = new Y.Doc(),
  params?: Record<string, string>,
): Client {
  const provider = new WebsocketProvider(url, name, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    ...(params ? { params } : {}),
  })
  return {
    doc,
    text: doc.getText('codemirror'),
    provider,
    destroy() {
      provider.destroy()
      doc.destroy()
    },
  }
}

/** Resolves when `client` has completed its first sync with the server. */
export function synced(client: Client): Promise<void> {
  if (client.provider.synced) return Promise.resolve()
  return new Promise((resolve) => {
    const onSync = (isSynced: boolean) => {
      if (!isSynced) return
      client.provider.off('sync', onSync)
      resolve()
    }
    client.provider.on('sync', onSync)
  })
}

/**
 * A stock y-websocket client that opts into Tandem's `saved` acknowledgements the way the web
 * app does: its WebSocket asks for them on open and counts the update frames it sends.
 */
export interface AckingClient extends Client {
  /** Update frames sent on the current connection. */
  readonly sentFrames: () => number
  /** The highest `saved` count received on the current connection. */
  readonly savedFrames: () => number
  /** Called with the frame number as each update frame is sent. */
  onSend?: (frame: number) => void
  /** Called with each `saved` count. */
  onSaved?: (frames: number) => void
}

export function connectAckingClient(url: string, name: string, doc = new Y.Doc()): AckingClient {
  let sent = 0
  let saved = 0
  const client = {} as AckingClient
  class AckingWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols)
      sent = 0
      saved = 0
      this.addEventListener('open', () => super.send(encodeSavedRequest()))
    }
    override send(
      data: Parameters<WebSocket['send']>[0],
      options?: Parameters<WebSocket['send']>[1] | ((err?: Error) => void),
      cb?: (err?: Error) => void,
    ): void {
      super.send(data, options as Parameters<WebSocket['send']>[1], cb)
      if (data instanceof Uint8Array && isUpdateFrame(data)) {
        sent++
        client.onSend?.(sent)
      }
    }
  }
  const provider = new WebsocketProvider(url, name, doc, {
    WebSocketPolyfill: AckingWebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  provider.messageHandlers[MessageType.Saved] = (_encoder, decoder) => {
    saved = Math.max(saved, decoding.readVarUint(decoder))
    client.onSaved?.(saved)
  }
  return Object.assign(client, {
    doc,
    text: doc.getText('codemirror'),
    provider,
    sentFrames: () => sent,
    savedFrames: () => saved,
    destroy() {
      provider.destroy()
      doc.destroy()
    },
  })
}

/** mulberry32: a small seeded generator, so that a failing randomized run can be replayed. */
export function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
