import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const nodeModule = (names: string) => new RegExp(`node_modules[\\\\/](${names})[\\\\/]`)

const codemirrorCore = nodeModule(
  '@codemirror[\\\\/](state|view)|style-mod|w3c-keyname|crelt|@marijn[\\\\/]find-cluster-break',
)

// Vendor code changes less often than the app, so what every document page needs first gets
// chunks of its own: React; CodeMirror's core (state and view); and Yjs with its bindings.
// Everything else goes where the imports put it: Markdown, the key bindings and search with
// `editor/editing.ts`, loaded once the editor shows; the history, sharing, the preview and the
// home page each when first used. A group takes every module its test matches, also those only
// a later chunk imports, so the groups name the first screen's modules and no others.
export default defineConfig({
  plugins: [react()],
  // In `vite dev` the app calls the HTTP API on its own origin; pass it on to the local sync
  // server, the one `DEV_SYNC_URL` (src/lib/sync-url.ts) names.
  server: { proxy: { '/api': 'http://127.0.0.1:1234' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'react', test: nodeModule('react|react-dom|scheduler'), priority: 4 },
            { name: 'codemirror', test: codemirrorCore, priority: 3 },
            {
              name: 'yjs',
              test: nodeModule('yjs|y-codemirror\\.next|y-websocket|y-indexeddb|y-protocols|lib0'),
              priority: 2,
            },
          ],
        },
      },
    },
  },
})
