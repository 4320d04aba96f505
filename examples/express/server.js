// An Express app with its own sign-in (a session cookie), hosting Tandem under /collab:
// whoever is signed in to the app edits (or, for a viewer, reads) documents together there with
// any y-websocket client, as that user. `node server.js`, then see README.md.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import { pathToFileURL } from 'node:url'
import { createTandem } from '@tandem/sync-server'
import express from 'express'

/** The app's users. A real app has a database and password hashes. */
const users = {
  ada: { password: 'ada-password', name: 'Ada', mode: 'edit' },
  bob: { password: 'bob-password', name: 'Bob', mode: 'view' },
}

/**
 * Starts the app on `port` (0: any free one) with its documents in `dataDir`. Resolves with its
 * URL and a `close` that shuts Tandem down gracefully (every edit stored) and then the app.
 */
export async function start({ port = 3000, host = '127.0.0.1', dataDir = 'data' } = {}) {
  /** Session id → user id. */
  const sessions = new Map()
  const app = express()
  app.use(express.json())

  app.post('/login', (req, res) => {
    const { user, password } = req.body ?? {}
    const account = Object.hasOwn(users, user) ? users[user] : undefined
    if (!account || !same(password, account.password)) {
      res.status(401).json({ error: 'wrong user or password' })
      return
    }
    const sid = randomBytes(24).toString('base64url')
    sessions.set(sid, user)
    res.cookie('sid', sid, { httpOnly: true, sameSite: 'lax', path: '/' })
    res.json({ user, name: account.name, mode: account.mode })
  })
  app.post('/logout', (req, res) => {
    sessions.delete(sessionId(req.headers.cookie))
    res.clearCookie('sid').status(204).end()
  })
  app.get('/', (_req, res) => {
    res.type('text').send('An Express app. Documents are at ws://this-host/collab/<name>.\n')
  })

  const tandem = await createTandem(
    { DATA_DIR: dataDir, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    {
      // Asked for every connection and API request under /collab: the app's session decides.
      authenticate: ({ cookies }) => {
        const user = sessions.get(cookies.sid)
        if (!user) return null // 401 sign_in_refused
        const { name, mode } = users[user]
        return { mode, subject: user, name }
      },
    },
  )
  const server = createServer(app)
  tandem.attach(server, { prefix: '/collab' })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const address = server.address()
  return {
    url: `http://${host}:${address.port}`,
    async close() {
      await tandem.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** The session id of a `Cookie` header. */
function sessionId(header = '') {
  return /(?:^|;\s*)sid=([^;]*)/.exec(header)?.[1]
}

/** Whether two passwords are equal, in time that does not tell where they differ. */
function same(given, expected) {
  const a = Buffer.from(String(given ?? ''))
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = await start({ port: Number(process.env.PORT ?? 3000) })
  process.stdout.write(`listening on ${app.url}; Tandem under ${app.url}/collab\n`)
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => app.close().then(() => process.exit(0)))
  }
}
