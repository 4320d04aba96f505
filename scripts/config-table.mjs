// Rewrites the configuration table in README.md from the server's schema (after a build):
//   node scripts/config-table.mjs
// A test (apps/sync-server/test/config.test.ts) fails when the two disagree.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './lib.mjs'

const { configSchema } = await import(join(root, 'apps/sync-server/dist/config.js'))
const rows = Object.entries(configSchema.shape).map(([name, field]) => {
  const value = field.parse(undefined)
  return `| \`${name}\` | ${value === undefined ? '' : `\`${value}\``} | ${field.description} |`
})
const file = join(root, 'README.md')
const readme = readFileSync(file, 'utf8')
const start = readme.indexOf('| variable | default | meaning |')
const end = readme.indexOf('<!-- /config-table -->')
if (start < 0 || end < start) throw new Error('README.md has no configuration table markers')
const table = ['| variable | default | meaning |', '|---|---|---|', ...rows, ''].join('\n')
writeFileSync(file, readme.slice(0, start) + table + readme.slice(end))
console.log(`README.md: ${rows.length} settings`)
