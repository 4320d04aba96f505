// A Fastify app with its own sign-in (a session cookie), hosting Tandem under /collab:
// whoever is signed in to the app edits (or, for a viewer, reads) documents together there with
// any y-websocket client, as that user. `node server.js`, then see README.md.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { createTandem } from '@tandem/sync-server'
import Fastify from 'fastify'

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
  const app = Fastify()

  app.post('/login', async (request, reply) => {
    const { user, password } = request.body ?? {}
    const account = Object.hasOwn(users, user) ? users[user] : undefined
    if (!account || !same(password, account.password)) {
      return reply.code(401).send({ error: 'wrong user or password' })
    }
    const sid = randomBytes(24).toString('base64url')
    sessions.set(sid, user)
    reply.header('set-cookie', `sid=${sid}; Path=/; HttpOnly; SameSite=Lax`)
    return { user, name: account.name, mode: account.mode }
  })
  app.post('/logout', async (request, reply) => {
    sessions.delete(sessionId(request.headers.cookie))
    reply.header('set-cookie', 'sid=; Path=/; Max-Age=0')
    return reply.code(204).send()
  })
  app.get('/', async () => 'A Fastify app. Documents are at ws://this-host/collab/<name>.\n')

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
  // Fastify's own HTTP server: Tandem takes what is under /collab, Fastify the rest.
  tandem.attach(app.server, { prefix: '/collab' })
  const url = await app.listen({ port, host })
  return {
    url,
    async close() {
      await tandem.close()
      await app.close()
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
