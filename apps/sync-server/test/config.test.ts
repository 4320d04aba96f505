import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, configSchema, loadConfig, unknownSettings } from '../src/config.js'
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

describe('unknown variables', () => {
  it('K7: variables that look like settings but are none are named, with the closest setting', () => {
    const found = unknownSettings({
      DATA_DIRR: '/srv',
      ALLOWED_ORIGIN: 'https://a.example',
      WEBHOOK_SECRETS: 'x',
      TANDEM_PORT: '8080',
      DATABASE_HOST: 'db',
      port: '80',
      HOSTS: 'x',
      CLUSTER_SIZE: '3',
    })
    expect(found).toEqual([
      { name: 'ALLOWED_ORIGIN', closest: 'ALLOWED_ORIGINS' },
      { name: 'CLUSTER_SIZE', closest: undefined },
      { name: 'DATABASE_HOST', closest: 'DATABASE_URL' },
      { name: 'DATA_DIRR', closest: 'DATA_DIR' },
      { name: 'HOSTS', closest: 'HOST' },
      { name: 'TANDEM_PORT', closest: 'PORT' },
      { name: 'WEBHOOK_SECRETS', closest: 'WEBHOOK_SECRET' },
      { name: 'port', closest: 'PORT' },
    ])
  })

  it("K8: settings, secret files, the CLI's variables and other programs' are not reported", () => {
    expect(
      unknownSettings({
        ...Object.fromEntries(Object.keys(configSchema.shape).map((k) => [k, 'x'])),
        AUTH_SECRET_FILE: '/run/secrets/auth',
        WEBHOOK_SECRET_FILE: '/run/secrets/hook',
        TANDEM_URL: 'http://127.0.0.1:1234',
        TANDEM_TOKEN: 't',
        HOME: '/root',
        HOSTNAME: 'box',
        PATH: '/usr/bin',
        PWD: '/',
        NODE_ENV: 'production',
        NODE_OPTIONS: '--enable-source-maps',
        PGPORT: '5432',
        LOG_DIR: '/var/log',
        MAX_JOBS: '4',
        TEST_DATABASE_URL: 'postgres://localhost/test',
        // Kubernetes' variables for a service named tandem.
        TANDEM_PORT: 'tcp://10.0.0.1:1234',
        TANDEM_SERVICE_HOST: '10.0.0.1',
        TANDEM_SERVICE_PORT: '1234',
        TANDEM_PORT_1234_TCP_ADDR: '10.0.0.1',
      }),
    ).toEqual([])
  })

  it('K9: the server warns about each one at start, naming the variable and the closest setting', async () => {
    const { tempDir } = await import('./helpers.js')
    const dir = tempDir()
    try {
      const server = await spawnServer({
        DATA_DIR: dir.path,
        DATA_DIRR: '/elsewhere',
        ALLOWED_ORIGIN: 'https://a.example',
      })
      server.child.kill('SIGTERM')
      await server.exited
      const warnings = server.logs.filter((l) => l.level === 40)
      expect(warnings.map((w) => [w.variable, w.didYouMean, w.msg])).toEqual([
        [
          'ALLOWED_ORIGIN',
          'ALLOWED_ORIGINS',
          'ALLOWED_ORIGIN is not a Tandem setting and is ignored; did you mean ALLOWED_ORIGINS?',
        ],
        [
          'DATA_DIRR',
          'DATA_DIR',
          'DATA_DIRR is not a Tandem setting and is ignored; did you mean DATA_DIR?',
        ],
      ])
    } finally {
      dir.remove()
    }
  })
})

describe('webhook settings', () => {
  it('K10: URLs need a secret, a URL must be http(s), the wait must cover the debounce', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env)
      } catch (err) {
        if (err instanceof ConfigError) return err.problems
        throw err
      }
      return []
    }
    const bad = problems({ WEBHOOK_URLS: 'https://hooks.example/a, ftp://hooks.example/b' })
    expect(bad).toHaveLength(2)
    // The URLs may hold keys: never shown.
    expect(bad[0]).toBe('WEBHOOK_URLS=[redacted]: entry 2 is not an http(s) URL')
    expect(bad[1]).toMatch(/^WEBHOOK_URLS is set without WEBHOOK_SECRET/)
    expect(
      problems({
        WEBHOOK_URLS: 'https://hooks.example/a',
        WEBHOOK_SECRET: 'x'.repeat(16),
        WEBHOOK_DEBOUNCE_MS: '5000',
        WEBHOOK_MAX_WAIT_MS: '1000',
      }),
    ).toEqual(['WEBHOOK_MAX_WAIT_MS=1000: must be at least WEBHOOK_DEBOUNCE_MS (5000)'])
  })

  it('K11: the URLs and the secret may be read from files (container secrets)', async () => {
    const { tempDir } = await import('./helpers.js')
    const dir = tempDir()
    try {
      writeFileSync(`${dir.path}/urls`, 'https://a.example/hook,http://b.example/x\n')
      writeFileSync(`${dir.path}/secret`, 'a-webhook-secret-from-a-file\n')
      const config = loadConfig({
        WEBHOOK_URLS_FILE: `${dir.path}/urls`,
        WEBHOOK_SECRET_FILE: `${dir.path}/secret`,
      })
      expect(config.WEBHOOK_URLS).toEqual(['https://a.example/hook', 'http://b.example/x'])
      expect(config.WEBHOOK_SECRET).toBe('a-webhook-secret-from-a-file')
      expect(config.WEBHOOK_DEBOUNCE_MS).toBe(2000)
    } finally {
      dir.remove()
    }
  })
})
