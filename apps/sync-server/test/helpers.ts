import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
export function connectClient(url: string, name: string, doc = new Y.Doc()): Client {
  const provider = new WebsocketProvider(url, name, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
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
