// Nanoseconds per call of validateUpdate and of the Y.decodeUpdate definition it replaces, on
// updates like the ones an editor sends. Build first: `pnpm build && pnpm bench`.
import { performance } from 'node:perf_hooks'
import * as Y from 'yjs'
import { validateUpdate, validateUpdateByDecoding } from '../dist/validate-update.js'

const iterations = 100_000

function updates() {
  const doc = new Y.Doc()
  doc.clientID = 123456789
  const text = doc.getText('codemirror')
  text.insert(0, 'The quick brown fox jumps over the lazy dog.\n'.repeat(40))
  const captured = []
  doc.on('update', (u) => captured.push(u))
  text.insert(500, 'x')
  text.delete(700, 1)
  text.insert(900, 'a longer pasted line of text\n')
  const [keystroke, deletion, paste] = captured
  return { keystroke, deletion, paste, 'whole document (1.8 kB)': Y.encodeStateAsUpdate(doc) }
}

function measure(validate, update) {
  for (let i = 0; i < 10_000; i++) validate(update)
  // Bytes allocated per call: few enough calls that no collection runs in between.
  globalThis.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  for (let i = 0; i < 1000; i++) validate(update)
  const bytes = (process.memoryUsage().heapUsed - heapBefore) / 1000
  globalThis.gc?.()
  const start = performance.now()
  for (let i = 0; i < iterations; i++) validate(update)
  const ns = ((performance.now() - start) * 1e6) / iterations
  return `${ns.toFixed(0).padStart(6)} ns  ${bytes.toFixed(0).padStart(6)} B allocated`
}

if (!globalThis.gc) console.warn('run with node --expose-gc for steadier numbers')
for (const [name, update] of Object.entries(updates())) {
  console.log(`${name} (${update.length} bytes)`)
  console.log(`  Y.decodeUpdate + neighbours  ${measure(validateUpdateByDecoding, update)}`)
  console.log(`  validateUpdate               ${measure(validateUpdate, update)}`)
}
