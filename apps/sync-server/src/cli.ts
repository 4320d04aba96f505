#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { validateDocName } from '@tandem/protocol'
import { loadSigningKey } from './auth/secret.js'
import { TokenSigner } from './auth/tokens.js'
import { ConfigError, loadConfig } from './config.js'

const usage = `Usage: tandem <command> [options]

Commands:
  serve                      run the server (configured by environment variables; see README)
  token --doc NAME           print an access token on stdout
        [--prefix]           NAME is a prefix: the token opens every document starting with it
        [--mode edit|view]   what the token allows (default: edit)
        [--name NAME]        display name stamped into the user's presence
        [--color #RRGGBB]    colour stamped into the user's presence
        [--ttl SECONDS]      lifetime (default: 86400)

The token is signed with AUTH_SECRET, or with the key in DATA_DIR/auth-secret, as the server
does. Options: --help shows this text.
`

class UsageError extends Error {}

async function token(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      doc: { type: 'string' },
      prefix: { type: 'boolean', default: false },
      mode: { type: 'string', default: 'edit' },
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
  if (!values.prefix && !validateDocName(values.doc).ok) {
    throw new UsageError(`token: ${JSON.stringify(values.doc)} is not a valid document name`)
  }
  if (values.mode !== 'edit' && values.mode !== 'view') {
    throw new UsageError('token: --mode must be edit or view')
  }
  const ttl = Number(values.ttl)
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new UsageError('token: --ttl must be a positive number of seconds')
  }
  if (values.color !== undefined && !/^#[0-9a-fA-F]{6}$/.test(values.color)) {
    throw new UsageError('token: --color must look like #RRGGBB')
  }
  const config = loadConfig(process.env)
  const signer = new TokenSigner(loadSigningKey(config.AUTH_SECRET, config.DATA_DIR))
  const signed = await signer.sign(
    {
      ...(values.prefix ? { prefix: values.doc } : { doc: values.doc }),
      mode: values.mode,
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.color !== undefined ? { color: values.color } : {}),
    },
    ttl,
  )
  process.stdout.write(`${signed}\n`)
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  switch (command) {
    case 'serve':
      await import('./main.js')
      return
    case 'token':
      return token(rest)
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
  process.stderr.write(`tandem: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
