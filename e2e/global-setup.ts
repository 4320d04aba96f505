import { existsSync } from 'node:fs'
import { join, relative } from 'node:path'
import { repoRoot, serverEntry, webDist } from './fixtures/server.js'
import { tiptapDist } from './fixtures/tiptap-site.js'

/** Fails the run at once, with the fix, when the apps (or the Tiptap fixture) have not been built. */
export default function globalSetup(): void {
  const missing = [serverEntry, join(webDist, 'index.html'), join(tiptapDist, 'index.html')].filter(
    (file) => !existsSync(file),
  )
  if (missing.length > 0) {
    throw new Error(
      `e2e tests need the built apps; missing: ${missing.map((file) => relative(repoRoot, file)).join(', ')}.\n` +
        'Run `pnpm build` at the repository root first (the root `pnpm test` builds before it runs e2e).',
    )
  }
}
