#!/usr/bin/env node
// Renders a results JSON again as Markdown: `node render.mjs results/<timestamp>.json`
// prints the tables; `--write` also replaces results/latest.md.
import { readFileSync, writeFileSync } from 'node:fs'
import { renderMarkdown } from './lib/report.mjs'

const file = process.argv.slice(2).find((arg) => !arg.startsWith('--'))
if (!file) {
  console.error('usage: node render.mjs results/<timestamp>.json [--write]')
  process.exit(2)
}
const markdown = renderMarkdown(JSON.parse(readFileSync(file, 'utf8')))
if (process.argv.includes('--write')) {
  writeFileSync(new URL('./results/latest.md', import.meta.url), markdown)
}
process.stdout.write(markdown)
