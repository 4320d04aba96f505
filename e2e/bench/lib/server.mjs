// The built Tandem server, started for a browser benchmark on a free port with a fresh data
// directory.
import { spawn } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

/**
 * Starts `apps/sync-server/dist/main.js`; resolves with its base URL (no trailing slash) and a
 * function that stops it and deletes its data.
 * @param {Record<string, string>} [env] settings beyond the defaults
 */
export async function startServer(env = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'tandem-bench-'))
  const child = spawn(process.execPath, [join(repoRoot, 'apps/sync-server/dist/main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start in 15 s')), 15_000)
    let rest = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => {
      rest += chunk
      for (let i = rest.indexOf('\n'); i !== -1; i = rest.indexOf('\n')) {
        const line = rest.slice(0, i)
        rest = rest.slice(i + 1)
        if (process.env.SERVER_LOG) appendFileSync(process.env.SERVER_LOG, `${line}\n`)
        try {
          const entry = JSON.parse(line)
          if (entry.msg === 'listening') {
            clearTimeout(timer)
            resolve(entry.url.replace(/\/$/, ''))
          } else if (entry.level >= 40) {
            console.error(`  server: ${line}`)
          }
        } catch {}
      }
    })
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)))
  })
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`  the server exited (${code ?? signal}) during the benchmark`)
  })
  let stopping = false
  const stop = async () => {
    stopping = true
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
    await rm(dataDir, { recursive: true, force: true })
  }
  return { url, pid: child.pid, stop }
}
