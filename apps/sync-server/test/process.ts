import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))

/** A server running as its own process, as a process manager would run it. */
export interface ServerProcess {
  child: ChildProcess
  /** `ws://127.0.0.1:PORT` */
  wsUrl: string
  httpUrl: string
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Everything it printed on stdout, one JSON object per line. */
  logs: Record<string, unknown>[]
}

/** Starts `node dist/main.js` and resolves once it logs `listening`. */
export function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  if (!existsSync(main)) {
    throw new Error(`${main} is missing: build the server first (pnpm build)`)
  }
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', WEB_DIR: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // Never outlive the test run, even when a test fails before it stops this server.
  const reap = () => child.kill('SIGKILL')
  process.once('exit', reap)
  child.once('exit', () => process.off('exit', reap))
  const logs: Record<string, unknown>[] = []
  let stderr = ''
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return new Promise((resolve, reject) => {
    let buffered = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        const entry = JSON.parse(line) as Record<string, unknown>
        logs.push(entry)
        if (entry.msg === 'listening') {
          const url = new URL(String(entry.url))
          resolve({ child, wsUrl: `ws://${url.host}`, httpUrl: url.href, exited, logs })
        }
      }
    })
    void exited.then(({ code, signal }) =>
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${stderr}`)),
    )
  })
}
