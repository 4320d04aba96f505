// `npm pack` (and `npm publish`) of @tandem/sync-server: a package that installs anywhere, with
// no workspace paths in it.
//
//   prepack:  builds the server (tsc -b, which builds @tandem/protocol too); copies the
//             protocol's build into dist/vendor/protocol and points the server's imports of
//             `@tandem/protocol` there; copies the built web app (apps/web/dist, if built) into
//             dist/web; and writes the package.json that is packed: the protocol's own
//             dependencies instead of `workspace:*`, no devDependencies, no scripts but `start`.
//   postpack: puts package.json and the imports back as they were.
//
// Both are idempotent: a prepack after an interrupted pack first undoes what that one did.
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const repo = join(pkgDir, '../..')
const dist = join(pkgDir, 'dist')
const vendor = join(dist, 'vendor/protocol')
const web = join(dist, 'web')
const manifest = join(pkgDir, 'package.json')
const saved = join(pkgDir, 'package.workspace.json')
const SPECIFIER = '@tandem/protocol'

function fail(message) {
  process.stderr.write(`pack: ${message}\n`)
  process.exit(1)
}

/** Every .js and .d.ts file under `dir`, but the vendored and web ones. */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory())
      return path === vendor || path === web || path === join(dist, 'vendor') ? [] : sources(path)
    return /\.(js|d\.ts)$/.test(entry.name) ? [path] : []
  })
}

/** The import specifier of the vendored protocol as seen from `file`. */
function vendored(file) {
  const path = relative(dirname(file), join(vendor, 'index.js')).split(sep).join('/')
  return path.startsWith('.') ? path : `./${path}`
}

/**
 * Rewrites the specifier `'@tandem/protocol'` (in `from`, `import()` and `require.resolve()`) to
 * the vendored copy's relative path in every source, or back.
 */
function rewrite(toVendor) {
  for (const file of sources(dist)) {
    const text = readFileSync(file, 'utf8')
    const [from, to] = toVendor ? [SPECIFIER, vendored(file)] : [vendored(file), SPECIFIER]
    const next = text.replaceAll(`'${from}'`, `'${to}'`)
    if (next !== text) writeFileSync(file, next)
  }
}

/**
 * Puts package.json and the imports back. The vendored protocol and the web app stay in dist
 * (nothing refers to them; the next prepack makes them anew): a server started from dist just
 * before may still be loading the vendored modules.
 */
function undo() {
  if (existsSync(saved)) renameSync(saved, manifest)
  if (existsSync(vendor)) rewrite(false)
}

function prepack() {
  undo()
  rmSync(join(dist, 'vendor'), { recursive: true, force: true })
  rmSync(web, { recursive: true, force: true })
  const tsc = join(repo, 'node_modules/.bin/tsc')
  if (existsSync(tsc)) {
    const built = spawnSync(tsc, ['-b', 'tsconfig.src.json'], { cwd: pkgDir, stdio: 'inherit' })
    if (built.status !== 0) fail('the build failed')
  }
  const protocolDist = join(repo, 'packages/protocol/dist')
  if (!existsSync(join(dist, 'index.js')) || !existsSync(join(protocolDist, 'index.js'))) {
    fail('nothing built: run `pnpm build` at the repository root first')
  }
  cpSync(protocolDist, vendor, {
    recursive: true,
    filter: (src) => !/\.test\.(js|d\.ts)$/.test(src),
  })
  rewrite(true)
  const webDist = join(repo, 'apps/web/dist')
  if (existsSync(join(webDist, 'index.html'))) cpSync(webDist, web, { recursive: true })
  else process.stderr.write('pack: apps/web/dist is not built: the package has no web app\n')

  const pkg = JSON.parse(readFileSync(manifest, 'utf8'))
  const protocol = JSON.parse(readFileSync(join(repo, 'packages/protocol/package.json'), 'utf8'))
  const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'))
  writeFileSync(saved, readFileSync(manifest))
  const { [SPECIFIER]: _, ...dependencies } = pkg.dependencies
  for (const [name, version] of Object.entries(protocol.dependencies ?? {})) {
    if (dependencies[name] && dependencies[name] !== version) {
      fail(`${name}: the server wants ${dependencies[name]}, the protocol ${version}`)
    }
    dependencies[name] = version
  }
  const packed = {
    ...pkg,
    license: root.license,
    engines: root.engines,
    dependencies,
    scripts: { start: pkg.scripts.start },
  }
  delete packed.devDependencies
  const text = JSON.stringify(packed, null, 2)
  if (text.includes('workspace:')) fail('a workspace: dependency is left in package.json')
  writeFileSync(manifest, `${text}\n`)
}

const step = process.argv[2]
if (step === 'prepack') prepack()
else if (step === 'postpack') undo()
else fail('usage: node scripts/pack.mjs prepack|postpack')
