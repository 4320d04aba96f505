import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, configSchema, loadConfig } from '../src/config.js'
import { spawnServer } from './process.js'

describe('configuration', () => {
  it('K1: the README table lists exactly the settings of the schema, with their defaults', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    const table = readme.split('<!-- config-table')[1]?.split('<!-- /config-table -->')[0] ?? ''
    const rows = table
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => {
        const [name, value, meaning] = line
          .slice(1, -1)
          .split('|')
          .map((cell) => cell.trim())
        const code = (cell = '') => cell.replace(/^`(.*)`$/, '$1')
        return { name: code(name), value: code(value), meaning }
      })
    const expected = Object.entries(configSchema.shape).map(([name, field]) => {
      const value = field.parse(undefined)
      return { name, value: value === undefined ? '' : String(value), meaning: field.description }
    })
    expect(rows).toEqual(expected)
  })

  it('K2: unset and empty variables take the defaults; values are coerced', () => {
    const config = loadConfig({ PORT: '8080', HOST: '', LOG_LEVEL: 'debug' })
    expect(config.PORT).toBe(8080)
    expect(config.HOST).toBe('127.0.0.1')
    expect(config.LOG_LEVEL).toBe('debug')
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('K3: every bad setting is reported at once', () => {
    let error: unknown
    try {
      loadConfig({ PORT: '70000', MAX_MESSAGE_BYTES: '-5', LOG_LEVEL: 'loud' })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    const problems = (error as ConfigError).problems.map((p) => p.split('=')[0])
    expect(problems.sort()).toEqual(['LOG_LEVEL', 'MAX_MESSAGE_BYTES', 'PORT'])
  })

  it('K4: the server process refuses to start on a bad configuration, naming each setting', async () => {
    await expect(spawnServer({ PORT: 'abc', HEARTBEAT_INTERVAL_MS: '0' })).rejects.toThrow(
      /PORT="abc".*\n.*HEARTBEAT_INTERVAL_MS="0"/,
    )
  })
})

describe('STORAGE=memory', () => {
  it('K5: keeps documents in memory only: nothing is written to DATA_DIR and nothing survives', async () => {
    const { readdirSync } = await import('node:fs')
    const { connectClient, startServer, synced, tempDir, wsUrl } = await import('./helpers.js')
    const dir = tempDir()
    try {
      const first = await startServer(dir.path, { STORAGE: 'memory' })
      const writer = connectClient(wsUrl(first), 'doc')
      await synced(writer)
      writer.text.insert(0, 'volatile')
      await expect.poll(async () => (await first.store.list()).length).toBe(1)
      writer.destroy()
      await first.close()
      expect(readdirSync(dir.path).filter((f) => f.startsWith('tandem.db'))).toEqual([])
      const second = await startServer(dir.path, { STORAGE: 'memory' })
      const reader = connectClient(wsUrl(second), 'doc')
      await synced(reader)
      expect(reader.text.toString()).toBe('')
      reader.destroy()
      await second.close()
    } finally {
      dir.remove()
    }
  })
})

describe('LOG_FORMAT', () => {
  it('K6: pretty writes readable lines for a terminal; json (the default) one object per line', async () => {
    const { spawn } = await import('node:child_process')
    const { fileURLToPath } = await import('node:url')
    const { tempDir } = await import('./helpers.js')
    const dir = tempDir()
    const firstLine = (format: string) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [fileURLToPath(new URL('../dist/main.js', import.meta.url))],
          {
            env: {
              ...process.env,
              PORT: '0',
              HOST: '127.0.0.1',
              WEB_DIR: '',
              DATA_DIR: dir.path,
              LOG_FORMAT: format,
            },
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        )
        let out = ''
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          if (out.includes('\n')) {
            child.kill('SIGKILL')
            resolve(out.split('\n')[0]!)
          }
        })
        child.once('exit', () => reject(new Error(`exited before logging: ${out}`)))
      })
    try {
      expect(await firstLine('pretty')).toMatch(/INFO.*listening/)
      expect(JSON.parse(await firstLine('json'))).toMatchObject({ msg: 'listening', level: 30 })
    } finally {
      dir.remove()
    }
  })
})
