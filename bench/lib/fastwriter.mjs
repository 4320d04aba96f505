// The fast-writer case (issue 14): Tandem with its default limits, which slow such a writer
// down, beside the peers, which have none. Run alone with `pnpm bench -- --only=fastwriter`.

/**
 * @param {{ quick: boolean, tracesDir: string }} options
 * @returns {import('./cases.mjs').Case[]}
 */
export function fastWriterCases({ tracesDir }) {
  const timeoutMs = 90_000
  return [
    {
      id: 'fastwriter',
      group: 'Fast writer',
      title:
        'a stock client types automerge-paper (259,778 edits) in transactions of 100 as fast as it can, watched by a stock client of the same address; a third client of that address joins once everything is sent',
      scenario: 'fastwriter',
      servers: ['tandem-defaults', 'reference', 'hocuspocus'],
      params: ({ room }) => ({
        trace: `${tracesDir}/automerge-paper.json.gz`,
        batch: 100,
        room,
        timeoutMs,
      }),
      metrics: [
        { key: 'totalS', label: 'time until every edit arrived (s)', better: 'lower', digits: 2 },
        { key: 'sendS', label: 'time to hand every edit over (s)', better: 'lower', digits: 2 },
        { key: 'deliveredPct', label: 'edits delivered (%)', better: 'higher', digits: 1 },
        { key: 'disconnects', label: 'disconnects (target 0)', better: 'lower', digits: 0 },
        {
          key: 'joinMs',
          label: 'second client of the address: time to sync (ms, target < 1,000)',
          better: 'lower',
          digits: 0,
        },
      ],
      timeoutMs: timeoutMs + 60_000,
    },
  ]
}
