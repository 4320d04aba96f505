// pnpm hook for the benchmark's comparison servers only (see README.md, "Installing the peers").
//
// - @hocuspocus/* 4.x declares `engines.node >=22`, and the workspace installs with
//   `engineStrict: true`. Hocuspocus 4.7.0 runs on Node 20 (this benchmark drives it there); the
//   engines field is dropped for @hocuspocus/* 4.7.0 only, and their own @hocuspocus/* ranges
//   (`^4.7.0`) are pinned to 4.7.0 so the comparison runs one Hocuspocus release, not a mix.
// - @y/websocket-server 0.1.1 lists `ws@^6` as an optional dependency of its CLI (`server.js`);
//   the benchmark's runner imports its `utils` and serves them with ws 8.23.0 instead, so the
//   old ws (with memory-exhaustion advisories) is left out. `y-leveldb`, its persistence, stays.
const HOCUSPOCUS = '4.7.0'

function readPackage(pkg) {
  if (pkg.name?.startsWith('@hocuspocus/') && pkg.version === HOCUSPOCUS) {
    delete pkg.engines
    for (const field of ['dependencies', 'peerDependencies']) {
      for (const name of Object.keys(pkg[field] ?? {})) {
        if (name.startsWith('@hocuspocus/')) pkg[field][name] = HOCUSPOCUS
      }
    }
  }
  if (pkg.name === '@y/websocket-server' && pkg.version === '0.1.1') {
    delete pkg.optionalDependencies?.ws
  }
  return pkg
}

module.exports = { hooks: { readPackage } }
