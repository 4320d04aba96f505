import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteStore } from './sqlite.js'
import { describeStoreContract } from './store.contract.js'

let dir = ''
describeStoreContract(
  'SQLite on disk',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-'))
    return SqliteStore.open(dir)
  },
  async () => SqliteStore.open(dir),
  async () => rmSync(dir, { recursive: true, force: true }),
)
