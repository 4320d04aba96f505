/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The sync server's WebSocket base URL, e.g. `ws://127.0.0.1:1234`; see `lib/sync-url.ts`. */
  readonly VITE_SYNC_URL?: string
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
