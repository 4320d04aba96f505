import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const nodeModule = (names: string) => new RegExp(`node_modules[\\\\/](${names})[\\\\/]`)

const languages = nodeModule(
  '@codemirror[\\\\/](lang-[a-z]+|autocomplete)|@lezer[\\\\/](markdown|html|css|javascript)',
)
const codemirror = nodeModule('@codemirror|@lezer|codemirror|crelt|style-mod|w3c-keyname|@marijn')

// Vendor code changes less often than the app, so it gets chunks of its own: React; CodeMirror's
// core; its languages (Markdown and the HTML, CSS and JavaScript that Markdown embeds); and Yjs
// with its bindings. The document page loads lazily, so the home page needs only React.
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
            // A group takes its dependencies along, so the core that the languages share goes first.
            {
              name: 'codemirror',
              test: (id) => codemirror.test(id) && !languages.test(id),
              priority: 3,
            },
            { name: 'codemirror-languages', test: languages, priority: 2 },
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
