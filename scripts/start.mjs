// `npm start`: install what is needed, build, and run the server with the web app on the
// embedded SQLite default. Environment variables configure the server (see the README).
import { join } from 'node:path'
import { build, checkNode, install, root, spawn, step } from './lib.mjs'

checkNode()
install()
build()
step('Starting Tandem (Ctrl-C stops it)')

const server = spawn(process.execPath, [join(root, 'apps/sync-server/dist/main.js')], {
  cwd: root,
  stdio: ['inherit', 'pipe', 'inherit'],
})
let buffered = ''
server.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  buffered += chunk.toString()
  for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
    const line = buffered.slice(0, nl)
    buffered = buffered.slice(nl + 1)
    try {
      const entry = JSON.parse(line)
      if (entry.msg === 'listening') {
        console.log(`\n  \u001b[1mTandem is running: open ${entry.url} in your browser.\u001b[0m\n`)
      }
    } catch {
      // not a log line
    }
  }
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal))
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
