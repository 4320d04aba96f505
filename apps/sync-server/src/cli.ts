#!/usr/bin/env node
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { validateDocName } from '@tandem/protocol'
import Database from 'better-sqlite3'
import { loadSigningKey } from './auth/secret.js'
import { TokenSigner } from './auth/tokens.js'
import { ConfigError, loadConfig } from './config.js'

const usage = `Usage: tandem <command> [options]

Commands:
  serve                      run the server (configured by environment variables; see README)
  export --doc NAME          print a document's text (or write it to --out FILE)
  import --doc NAME          replace a document's text with stdin (or --in FILE), as one edit
  compact                    fold every stored document's log into one snapshot now
  backup FILE                copy the SQLite database (DATA_DIR/tandem.db) to FILE, safely
                             while the server runs (PostgreSQL: use pg_dump)
  token --doc NAME           print an access token on stdout
        [--prefix]           NAME is a prefix: the token opens NAME and every document under
                             NAME/ (whole segments: team opens team/x, not teammate)
        [--mode edit|view]   what the token allows (default: edit)
        [--sub SUBJECT]      who the holder is, the same in all of one person's tokens (an
                             account id): presence and budgets key on it, not on the name;
                             without it the token is a subject of its own
        [--name NAME]        display name stamped into the user's presence
        [--color #RRGGBB]    colour stamped into the user's presence
        [--ttl SECONDS]      lifetime (default: 86400)

export, import and compact talk to a running server's HTTP API: --url URL (default TANDEM_URL,
else http://127.0.0.1:$PORT), authorised by --token TOKEN (default TANDEM_TOKEN, else
ADMIN_KEY) when the server needs it.

The token is signed with AUTH_SECRET, or with the key in DATA_DIR/auth-secret, as the server
does. Options: --help shows this text.
`

class UsageError extends Error {}
/** The server answered with an error. */
class ServerError extends Error {}

async function token(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      doc: { type: 'string' },
      prefix: { type: 'boolean', default: false },
      mode: { type: 'string', default: 'edit' },
      sub: { type: 'string' },
      name: { type: 'string' },
      color: { type: 'string' },
      ttl: { type: 'string', default: '86400' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(usage)
    return
  }
  if (!values.doc) throw new UsageError('token: --doc is required')
  // A prefix names whole segments (`team` opens `team` and `team/…`), so it follows the name
  // rules too; an empty one is refused (the admin key is the way to reach every document).
  const checked = validateDocName(values.prefix ? values.doc.replace(/\/$/, '') : values.doc)
  if (!checked.ok) {
    throw new UsageError(
      `token: ${JSON.stringify(values.doc)} is not a valid document name${values.prefix ? ' prefix' : ''}`,
    )
  }
  if (values.mode !== 'edit' && values.mode !== 'view') {
    throw new UsageError('token: --mode must be edit or view')
  }
  const ttl = Number(values.ttl)
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new UsageError('token: --ttl must be a positive number of seconds')
  }
  if (values.sub !== undefined && (values.sub.trim() === '' || values.sub.length > 200)) {
    throw new UsageError('token: --sub must be 1-200 characters')
  }
  if (values.color !== undefined && !/^#[0-9a-fA-F]{6}$/.test(values.color)) {
    throw new UsageError('token: --color must look like #RRGGBB')
  }
  const config = loadConfig(process.env)
  const signer = new TokenSigner(loadSigningKey(config.AUTH_SECRET, config.DATA_DIR))
  const signed = await signer.sign(
    {
      ...(values.prefix ? { prefix: checked.name } : { doc: checked.name }),
      mode: values.mode,
      ...(values.sub !== undefined ? { sub: values.sub } : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.color !== undefined ? { color: values.color } : {}),
    },
    ttl,
  )
  process.stdout.write(`${signed}\n`)
}

const clientOptions = {
  url: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const

/** The API base URL and the headers for a running server, from flags and the environment. */
function serverOf(values: { url?: string | undefined; token?: string | undefined }) {
  const base =
    values.url || process.env.TANDEM_URL || `http://127.0.0.1:${process.env.PORT || 1234}`
  const token = values.token || process.env.TANDEM_TOKEN || process.env.ADMIN_KEY
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {}
  return { base, headers }
}

async function call(base: string, path: string, init: RequestInit): Promise<Response> {
  let res: Response
  try {
    res = await fetch(new URL(path, base), init)
  } catch (err) {
    throw new UsageError(`cannot reach the server at ${base}: ${(err as Error).cause ?? err}`)
  }
  if (!res.ok) {
    const body = await res.text()
    let message = body
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body
    } catch {}
    throw new ServerError(`${res.status}: ${message.trim()}`)
  }
  return res
}

function docOption(values: { doc?: string | undefined }, command: string): string {
  if (!values.doc) throw new UsageError(`${command}: --doc is required`)
  if (!validateDocName(values.doc).ok) {
    throw new UsageError(`${command}: ${JSON.stringify(values.doc)} is not a valid document name`)
  }
  return values.doc
}

async function exportText(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { ...clientOptions, doc: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  })
  if (values.help) return void process.stdout.write(usage)
  const name = docOption(values, 'export')
  const { base, headers } = serverOf(values)
  const res = await call(base, `/api/docs/${encodeURIComponent(name)}/text`, { headers })
  const text = await res.text()
  if (values.out) writeFileSync(values.out, text)
  else process.stdout.write(text)
}

async function importText(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { ...clientOptions, doc: { type: 'string' }, in: { type: 'string' } },
    strict: true,
  })
  if (values.help) return void process.stdout.write(usage)
  const name = docOption(values, 'import')
  const text = values.in ? readFileSync(values.in, 'utf8') : readFileSync(0, 'utf8')
  const { base, headers } = serverOf(values)
  await call(base, `/api/docs/${encodeURIComponent(name)}/text`, {
    method: 'PUT',
    headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' },
    body: text,
  })
  process.stderr.write(`imported ${text.length} characters into ${name}\n`)
}

async function compact(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: clientOptions, strict: true })
  if (values.help) return void process.stdout.write(usage)
  const { base, headers } = serverOf(values)
  const res = await call(base, '/api/compact', { method: 'POST', headers })
  const { documents } = (await res.json()) as { documents: number }
  process.stderr.write(`compacted ${documents} documents\n`)
}

/**
 * `backup FILE`: a consistent copy of the SQLite database through SQLite's online backup API,
 * which a running server's writes do not disturb. Refuses to overwrite FILE.
 */
async function backup(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { help: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  })
  if (values.help) return void process.stdout.write(usage)
  const [file, ...extra] = positionals
  if (file === undefined || extra.length > 0) {
    throw new UsageError('backup: give one destination file')
  }
  const config = loadConfig(process.env)
  if (config.DATABASE_URL) {
    throw new UsageError(
      'backup: documents are in PostgreSQL (DATABASE_URL); back it up with pg_dump',
    )
  }
  const source = join(config.DATA_DIR, 'tandem.db')
  if (!existsSync(source)) throw new UsageError(`backup: there is no database at ${source}`)
  if (existsSync(file)) throw new UsageError(`backup: ${file} exists; choose a new file`)
  const db = new Database(source, { readonly: true, fileMustExist: true })
  try {
    await db.backup(file)
  } finally {
    db.close()
  }
  process.stderr.write(`backed up ${source} to ${file} (${statSync(file).size} bytes)\n`)
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  switch (command) {
    case 'serve':
      await import('./main.js')
      return
    case 'token':
      return token(rest)
    case 'export':
      return exportText(rest)
    case 'import':
      return importText(rest)
    case 'compact':
      return compact(rest)
    case 'backup':
      return backup(rest)
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(usage)
      return
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (
    err instanceof UsageError ||
    err instanceof ConfigError ||
    (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  ) {
    process.stderr.write(`tandem: ${(err as Error).message}\n\n${usage}`)
    process.exit(2)
  }
  if (err instanceof ServerError) {
    process.stderr.write(`tandem: the server refused: ${err.message}\n`)
    process.exit(1)
  }
  process.stderr.write(`tandem: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
