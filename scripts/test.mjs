// `npm test`: everything the tests need (dependencies, Chromium where the machine allows),
// a build, then every test: Vitest (unit and integration, real SQLite files and real sockets)
// and Playwright (real Chromium against a real server). Ends with `N passed, N failed`.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { build, checkNode, fail, install, isRoot, pnpmCommand, root, step, which } from './lib.mjs'

checkNode()
install()
ensureChromium()
await ensurePostgres()
await ensureRedis()
build()

const artifacts = join(root, '.artifacts')
rmSync(artifacts, { recursive: true, force: true })
mkdirSync(artifacts, { recursive: true })
const vitestReport = join(artifacts, 'vitest.json')
const playwrightReport = join(root, 'e2e/.artifacts/results.json')
rmSync(playwrightReport, { force: true })

step('Unit and integration tests (Vitest)')
const vitest = runTests([
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestReport}`,
])
step('Browser tests (Playwright + Chromium)')
const playwright = runTests(['--filter', '@tandem/e2e', 'e2e'])

const counts = [readVitest(vitestReport), readPlaywright(playwrightReport)]
const passed = counts.reduce((sum, c) => sum + c.passed, 0)
const failed = counts.reduce((sum, c) => sum + c.failed, 0)
const broken = [vitest, playwright].some((status) => status !== 0) && failed === 0 ? 1 : 0
console.log(`\nvitest: ${counts[0].passed} passed, ${counts[0].failed} failed`)
console.log(`playwright: ${counts[1].passed} passed, ${counts[1].failed} failed`)
console.log(`${passed} passed, ${failed + broken} failed`)
process.exit(failed + broken > 0 || passed === 0 ? 1 : 0)

function runTests(args) {
  const [command, ...prefix] = pnpmCommand()
  return spawnSync(command, [...prefix, ...args], { cwd: root, stdio: 'inherit' }).status ?? 1
}

function readVitest(file) {
  if (!existsSync(file)) return { passed: 0, failed: 1 }
  const report = JSON.parse(readFileSync(file, 'utf8'))
  // A suite that failed to load counts as a failure even though none of its tests ran.
  const brokenSuites = report.testResults.filter(
    (r) => r.status === 'failed' && r.assertionResults.length === 0,
  ).length
  return { passed: report.numPassedTests, failed: report.numFailedTests + brokenSuites }
}

function readPlaywright(file) {
  if (!existsSync(file)) return { passed: 0, failed: 1 }
  const { stats, errors } = JSON.parse(readFileSync(file, 'utf8'))
  return {
    passed: stats.expected,
    failed: stats.unexpected + stats.flaky + (errors?.length ?? 0),
  }
}

function ensureChromium() {
  const wanted = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (existsSync(wanted)) return
  if (process.env.CHROMIUM_PATH) fail(`CHROMIUM_PATH=${wanted} does not exist.`)
  step('Installing Chromium for the browser tests (Debian package)')
  if (!which('apt-get')) {
    fail('Chromium is missing: install it (e.g. `apt-get install chromium`) or set CHROMIUM_PATH.')
  }
  const sudo = isRoot() ? [] : ['sudo', '-n']
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const aptGet = (...args) => {
    const cmd = [...sudo, 'apt-get', ...args]
    const result = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit', env })
    if (result.status !== 0) {
      fail(`${cmd.join(' ')} failed: install Chromium yourself or set CHROMIUM_PATH.`)
    }
  }
  aptGet('update')
  aptGet('install', '-y', '--no-install-recommends', 'chromium')
}

function reachable(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.setTimeout(2000)
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('timeout', () => done(false))
    socket.once('error', () => done(false))
  })
}

/**
 * The storage tests use a real PostgreSQL (TEST_DATABASE_URL, by default on 127.0.0.1:5432).
 * Start the machine's own cluster if it is installed but stopped; if there is none, the tests
 * that need it fail and say so.
 */
async function ensurePostgres() {
  if (process.env.TEST_DATABASE_URL || (await reachable(5432))) return
  const clusters = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : []
  if (clusters.length > 0 && which('pg_ctlcluster')) {
    step('Starting PostgreSQL for the storage tests')
    spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', clusters[0], 'main', 'start'], {
      stdio: 'inherit',
    })
  }
  if (!(await reachable(5432))) {
    console.warn('PostgreSQL is not reachable on 127.0.0.1:5432: its tests will fail.')
  }
}

/**
 * The cluster tests use a real Redis (127.0.0.1:6379). Start the machine's own if it is
 * installed but stopped; if there is none, those tests fail and say so.
 */
async function ensureRedis() {
  if (await reachable(6379)) return
  if (which('redis-server')) {
    step('Starting Redis for the cluster tests')
    spawnSync(
      'redis-server',
      [
        '--daemonize',
        'yes',
        '--bind',
        '127.0.0.1',
        '--port',
        '6379',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'inherit' },
    )
  }
  if (!(await reachable(6379))) {
    console.warn('Redis is not reachable on 127.0.0.1:6379: the cluster tests will fail.')
  }
}
