import { execFile, spawn } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { connectClient, synced, tempDir } from './helpers.js'

const run = promisify(execFile)
const pkgDir = fileURLToPath(new URL('..', import.meta.url))
const repo = join(pkgDir, '../..')

/** `nodedir` of the repository's .npmrc, for a native addon built against local headers. */
function npmEnv(): NodeJS.ProcessEnv {
  const npmrc = existsSync(join(repo, '.npmrc')) ? readFileSync(join(repo, '.npmrc'), 'utf8') : ''
  const nodedir = /^nodedir=(.+)$/m.exec(npmrc)?.[1]?.trim()
  return { ...process.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) }
}

/** Starts `npx tandem serve` in `cwd`; resolves with its URL once it logs `listening`. */
function serve(cwd: string, env: Record<string, string>) {
  // A process group of its own: npx, the shell it may start and the server get a signal
  // together (npx itself does not wait for the server to stop).
  const child = spawn('npx', ['--no-install', 'tandem', 'serve'], {
    cwd,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const signal = (name: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, name)
    } catch {}
  }
  const reap = () => signal('SIGKILL')
  process.once('exit', reap)
  child.once('exit', () => process.off('exit', reap))
  let stderr = ''
  const logs: string[] = []
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString()
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  /** Resolves once the server's stdout has ended: it has exited, npx or not. */
  const ended = new Promise<void>((resolve) => child.stdout?.once('end', resolve))
  const url = new Promise<URL>((resolve, reject) => {
    let buffered = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const entry = JSON.parse(buffered.slice(0, nl)) as { msg?: string; url?: string }
        logs.push(String(entry.msg))
        buffered = buffered.slice(nl + 1)
        if (entry.msg === 'listening') resolve(new URL(String(entry.url)))
      }
    })
    void exited.then((code) => reject(new Error(`tandem serve exited (${code}):\n${stderr}`)))
  })
  return { child, url, exited, ended, logs, signal }
}

/**
 * The packed package (issue 20): `npm pack` of apps/sync-server, installed into an empty
 * project from the tarball, not from the workspace.
 */
describe('the npm package', () => {
  const work = tempDir('tandem-pack-')
  const project = join(work.path, 'consumer')
  let tarball = ''
  let server: ReturnType<typeof serve> | undefined

  beforeAll(async () => {
    const { stdout } = await run('npm', ['pack', '--pack-destination', work.path], {
      cwd: pkgDir,
      env: npmEnv(),
      maxBuffer: 16 * 1024 * 1024,
    })
    tarball = join(work.path, stdout.trim().split('\n').at(-1) ?? '')
    await run('mkdir', ['-p', project])
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    )
    // better-sqlite3's own install step compiles its addon from source (minutes on a busy
    // machine); the workspace's install already compiled the same version for this Node, so
    // the install skips scripts and the addon is copied from there. Everything else comes
    // from the tarball and the registry (or npm's cache).
    await run(
      'npm',
      ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', tarball],
      { cwd: project, env: npmEnv(), maxBuffer: 16 * 1024 * 1024 },
    )
    const require = createRequire(join(pkgDir, 'package.json'))
    const addon = join(require.resolve('better-sqlite3/package.json'), '../build/Release')
    const installed = join(project, 'node_modules/better-sqlite3')
    const version = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version
    expect(version(installed)).toBe(version(join(addon, '../..')))
    await run('mkdir', ['-p', join(installed, 'build/Release')])
    copyFileSync(
      join(addon, 'better_sqlite3.node'),
      join(installed, 'build/Release/better_sqlite3.node'),
    )
  }, 300_000)

  afterAll(() => {
    server?.signal('SIGKILL')
    work.remove()
  })

  it('M8: is named tandem-sync-server-*.tgz and holds no workspace paths', () => {
    expect(tarball).toMatch(/tandem-sync-server-\d+\.\d+\.\d+\.tgz$/)
    const installed = join(project, 'node_modules/@tandem/sync-server')
    const manifest = readFileSync(join(installed, 'package.json'), 'utf8')
    expect(manifest).not.toContain('workspace:')
    expect(existsSync(join(project, 'node_modules/@tandem/protocol'))).toBe(false)
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
      )
    for (const file of files(join(installed, 'dist')).filter((f) => /\.(js|ts)$/.test(f))) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/'@tandem\/protocol'|workspace:/)
    }
    // The workspace is as it was: its package.json has its workspace dependency back.
    expect(readFileSync(join(pkgDir, 'package.json'), 'utf8')).toContain('"workspace:*"')
  })

  it('M8: serves with `npx tandem serve`: health, the web app, and y-websocket sync', async () => {
    const data = join(work.path, 'data')
    const started = serve(project, { DATA_DIR: data })
    server = started
    const url = await started.url
    const health = await fetch(new URL('/healthz', url))
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    const page = await fetch(new URL('/d/notes', url))
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<div id="root">')

    const a = connectClient(`ws://${url.host}`, 'notes')
    const b = connectClient(`ws://${url.host}`, 'notes')
    try {
      await Promise.all([synced(a), synced(b)])
      a.text.insert(0, 'from the tarball')
      await vi.waitFor(() => expect(b.text.toString()).toBe('from the tarball'))
    } finally {
      a.destroy()
      b.destroy()
    }
    // SIGTERM: a graceful stop, as for the server alone.
    started.signal('SIGTERM')
    await started.ended
    expect(started.logs).toContain('stopped')
    server = undefined
  }, 120_000)

  it('M8: imports as a library, with types', async () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { createServer } from 'node:http'
import { createTandem, type SignedIn, type TandemServer } from '@tandem/sync-server'

const authenticate = ({ cookies }: { cookies: Readonly<Record<string, string>> }): SignedIn | null =>
  cookies.sid === 'ada' ? { mode: 'edit', subject: 'ada', name: 'Ada' } : null
const tandem: TandemServer = await createTandem({ STORAGE: 'memory', LOG_LEVEL: 'silent' }, { authenticate })
const server = createServer((_req, res) => res.end('app'))
tandem.attach(server, { prefix: '/collab' })
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const port = (server.address() as { port: number }).port
const health = await fetch(\`http://127.0.0.1:\${port}/collab/healthz\`)
await tandem.close()
server.close()
process.stdout.write(String(health.status))

// @ts-expect-error: not a setting
export const misspelt = () => createTandem({ DATA_DIRR: 'data' })
// @ts-expect-error: a mode is edit or view
export const wrongMode: SignedIn = { mode: 'admin', subject: 'x' }
`,
    )
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          skipLibCheck: false,
          typeRoots: [join(repo, 'node_modules/@types')],
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    )
    const tsc = join(repo, 'node_modules/.bin/tsc')
    await run(tsc, ['-p', project], { cwd: project })
    const { stdout } = await run(process.execPath, ['consumer.js'], { cwd: project })
    expect(stdout).toBe('200')
  }, 120_000)
})
