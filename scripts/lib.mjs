// Helpers shared by the two commands a newcomer runs (`npm start`, `npm test`). They need only
// Node 20 and npm: pnpm is fetched through npx at the version the workspace pins.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')

const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager
const pnpmVersion = pinned.replace(/^pnpm@/, '')

export function step(message) {
  console.log(`\n\u001b[1m▸ ${message}\u001b[0m`)
}

export function fail(message) {
  console.error(`\n\u001b[31m✗ ${message}\u001b[0m`)
  process.exit(1)
}

export function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major < 20 || (major === 20 && minor < 19)) {
    fail(`Tandem needs Node.js 20.19 or newer; this is ${process.version}.`)
  }
}

/** The command that runs the pinned pnpm: the installed one if it matches, else through npx. */
export function pnpmCommand() {
  const found = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: false })
  if (found.status === 0 && found.stdout.trim() === pnpmVersion) return ['pnpm']
  return ['npx', '--yes', `pnpm@${pnpmVersion}`]
}

/** Runs a command in the repository root with inherited output; exits on failure. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options })
  if (result.status !== 0) {
    fail(`${[command, ...args].join(' ')} failed (${result.status ?? result.signal})`)
  }
}

export function pnpm(args, options) {
  const [command, ...prefix] = pnpmCommand()
  run(command, [...prefix, ...args], {
    ...options,
    // node-gyp builds better-sqlite3 against the local headers instead of downloading them.
    env: {
      ...process.env,
      npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
      ...options?.env,
    },
  })
}

/** Installs the workspace's dependencies exactly as locked. */
export function install() {
  step(`Installing dependencies (pnpm ${pnpmVersion})`)
  pnpm(['install', '--frozen-lockfile'])
}

export function build() {
  step('Building')
  pnpm(['build'])
}

export function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

export function which(name) {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null
  } catch {
    return null
  }
}

export { spawn }
