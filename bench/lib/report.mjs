// The Markdown table of a benchmark run (results/latest.md).

const COLUMNS = [
  'tandem',
  'tandem-defaults',
  'tandem-memory',
  'tandem-hp',
  'tandem-authors-only',
  'tandem-no-attribution',
  'reference',
  'hocuspocus',
  'relay',
]
const PEERS = ['reference', 'hocuspocus']
/** Figures shown for context only: no "better", so no ratio. */
const CONTEXT = new Set(['serverCpuPct', 'clientCpuPct'])

/** @param {number} value @param {number} digits */
function fmt(value, digits) {
  if (!Number.isFinite(value)) return '—'
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })
}

/**
 * @param {{ median: number, min: number, max: number, n: number } | undefined} stat
 * @param {number} digits
 */
function cell(stat, digits) {
  if (!stat || stat.n === 0) return '—'
  if (stat.n === 1 || stat.min === stat.max) return fmt(stat.median, digits)
  return `${fmt(stat.median, digits)} (${fmt(stat.min, digits)}–${fmt(stat.max, digits)})`
}

/** @param {any} output */
export function renderMarkdown(output) {
  const lines = []
  const m = output.machine
  lines.push(`# Tandem benchmark: ${output.mode} mode`)
  lines.push('')
  lines.push(
    `${output.startedAt}, \`${output.command}\`, ${output.reps} repetition(s), ` +
      `${Math.round(output.durationS)} s. ${m.cpus} × ${m.cpuModel}, ${m.memoryGB} GB, Linux ${m.kernel}, ` +
      `Node ${m.node}. Servers pinned to core 0, load generator to core 1, loopback only.` +
      (output.tandem
        ? ` Tandem at ${output.tandem.commit}${output.tandem.changedFiles ? ` with ${output.tandem.changedFiles} uncommitted file(s) in apps/ and packages/` : ''}, dist built ${output.tandem.distBuiltAt}.`
        : ''),
  )
  lines.push('')
  lines.push(
    'Each cell: median (min–max) over the repetitions. Ratio: Tandem ÷ the best of the two peers ' +
      '(below 1 is better for times, CPU and memory; above 1 is better for updates/s). ' +
      '⚠ = a run did not converge to the exact text or failed, ≥ = a replay given up on (its time is a ' +
      'lower bound), * = still disturbed after one repeat.',
  )
  /** @type {Map<string, any[]>} */
  const groups = new Map()
  for (const c of output.cases) groups.set(c.group, [...(groups.get(c.group) ?? []), c])
  for (const [group, cases] of groups) {
    const used = COLUMNS.filter((col) =>
      cases.some((/** @type {any} */ c) => c.servers.includes(col)),
    )
    lines.push('')
    lines.push(`## ${group}`)
    lines.push('')
    if (cases.length === 1) lines.push(`${cases[0].title}.`, '')
    lines.push(
      `| figure | ${used.map((col) => output.servers[col]).join(' | ')} | Tandem ÷ best peer |`,
    )
    lines.push(`|---|${used.map(() => '---:').join('|')}|---:|`)
    for (const c of cases) {
      for (const metric of c.metrics) {
        const cells = used.map((col) => {
          if (!c.servers.includes(col)) return '—'
          const runs = c.runs.filter((/** @type {any} */ r) => r.server === col)
          const bad = runs.some(
            (/** @type {any} */ r) => r.failed || r.details?.converged === false,
          )
          const disturbed = runs.some((/** @type {any} */ r) => r.disturbed)
          const lowerBound = runs.some((/** @type {any} */ r) => r.details?.timedOut)
          const text = cell(c.summary[col]?.[metric.key], metric.digits)
          return `${lowerBound && text !== '—' ? '≥ ' : ''}${text}${bad ? ' ⚠' : ''}${disturbed ? ' *' : ''}`
        })
        const tandem = (c.summary.tandem ??
          c.summary['tandem-defaults'] ??
          c.summary['tandem-hp'])?.[metric.key]?.median
        const peers = PEERS.map((p) => c.summary[p]?.[metric.key]?.median).filter(Number.isFinite)
        let ratio = '—'
        if (Number.isFinite(tandem) && peers.length > 0 && !CONTEXT.has(metric.key)) {
          const best = metric.better === 'lower' ? Math.min(...peers) : Math.max(...peers)
          ratio = best > 0 ? `${fmt(tandem / best, 2)}×` : '—'
        }
        lines.push(`| ${metric.label} | ${cells.join(' | ')} | ${ratio} |`)
      }
    }
  }

  const notes = []
  for (const c of output.cases) {
    for (const r of c.runs) {
      const who = `${c.id} #${r.rep} ${output.servers[r.server]}`
      if (r.failed) notes.push(`- ${who}: failed: ${String(r.failed).split('\n')[0]}`)
      else if (r.details?.converged === false) {
        const d = r.details
        const detail = d.timedOut
          ? `gave up after ${d.timeoutS} s (5× the send time after the send, at least 30 s) with ${d.watcherChars} of ${d.expectedChars} characters at the watcher`
          : d.lost
            ? `${d.lost} deliveries missing`
            : d.watcherChars !== undefined
              ? `watcher text differs (${d.watcherChars} vs ${d.expectedChars} characters)`
              : 'not every update arrived'
        notes.push(`- ${who}: did not converge: ${detail}`)
      }
      if (r.disturbed)
        notes.push(`- ${who}: disturbed (others used ${Math.round(r.window.othersPct)}% of a core)`)
    }
  }
  lines.push('')
  lines.push('## Convergence, failures, disturbance')
  lines.push('')
  lines.push(
    notes.length
      ? notes.join('\n')
      : 'Every run converged to the exact final text; none failed or stayed disturbed.',
  )
  const problemLines = Object.entries(output.problems ?? {}).filter(
    ([, p]) => /** @type {any} */ (p).count > 0,
  )
  if (problemLines.length) {
    lines.push('')
    lines.push('## Warnings and errors the servers printed')
    for (const [kind, p] of problemLines) {
      const entry = /** @type {{ count: number, lines: string[] }} */ (p)
      lines.push('')
      lines.push(`${output.servers[kind]}: ${entry.count} line(s); first ones:`)
      lines.push('')
      lines.push('```')
      lines.push(...entry.lines.slice(0, 8).map((l) => l.slice(0, 300)))
      lines.push('```')
    }
  }
  lines.push('')
  lines.push(
    'Traces: `editing-traces` by Joseph Gentle (automerge-paper prepared by Martin Kleppmann), CC BY 4.0.',
  )
  return `${lines.join('\n')}\n`
}
