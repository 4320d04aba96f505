import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))

/** Starts `node dist/main.js` with its stdout and stderr on pipes. */
function start(env: Record<string, string>, dataDir: string) {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', WEB_DIR: '', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const reap = () => child.kill('SIGKILL')
  process.once('exit', reap)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', reap)
      resolve({ code, signal })
    }),
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  /** Resolves with the first line of `stream` that matches `pattern`. */
  const line = (stream: 'stdout' | 'stderr', pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = (stream === 'stdout' ? stdout : stderr)
          .split('\n')
          .find((l) => pattern.test(l))
        if (found === undefined) return false
        resolve(found)
        return true
      }
      if (check()) return
      const onData = () => {
        if (check()) child[stream].off('data', onData)
      }
      child[stream].on('data', onData)
      void exited.then(() => reject(new Error(`exited before ${pattern}:\n${stdout}\n${stderr}`)))
    })
  return { child, exited, line, output: () => ({ stdout, stderr }) }
}

describe('the server process and its output', () => {
  let dir: ReturnType<typeof tempDir> | undefined
  afterEach(() => {
    dir?.remove()
    dir = undefined
  })

  it('O8: exits on SIGTERM when the reader of its stdout has gone (node main.js | head -1)', async () => {
    dir = tempDir()
    const server = start({}, dir.path)
    await server.line('stdout', /"msg":"listening"/)
    // What `head -1` does after the first line: the read end of the pipe closes, so every
    // later write to stdout fails with EPIPE.
    server.child.stdout.destroy()
    server.child.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 0, signal: null })
  })

  it('O9: shows where it listens even when LOG_LEVEL hides info lines', async () => {
    dir = tempDir()
    const server = start({ LOG_LEVEL: 'warn' }, dir.path)
    const line = await server.line('stderr', /listening/)
    expect(line).toMatch(/^tandem: listening on http:\/\/127\.0\.0\.1:\d+\/$/)
    const url = new URL(line.slice(line.indexOf('http')))
    expect((await fetch(new URL('/healthz', url))).status).toBe(200)
    server.child.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 0, signal: null })
    expect(server.output().stdout).toBe('')
  })
})
