import * as encoding from 'lib0/encoding'
import {
  inspectUpdate,
  type StructInfo,
  StructKind,
  type UpdateVisitor,
} from './validate-update.js'

/** What a room accepts of a well-formed update (SPEC U1–U4). */
export interface UpdateLimits {
  /** Deepest nesting of shared types; a root type (`doc.getText(…)`) is depth 1. */
  maxTypeDepth: number
  /** Most ranges one update's delete set may name. */
  maxDeleteRanges: number
  /** Root types items may be written in; `null`: any. */
  rootTypes: ReadonlySet<string> | null
}

/**
 * A {@link DocStructure} as plain data: for each client, where its runs start, their values
 * (the depth of the type the structs are in) and the clock after its last struct.
 */
export type StructureRuns = {
  client: number
  starts: readonly number[]
  values: readonly number[]
  end: number
}[]

/**
 * What a stored log is judged against at load: what it holds is kept whatever its size (it was
 * stored under the limits of its day), but anything Yjs would not integrate whole is not.
 */
const STORED_LIMITS: UpdateLimits = {
  maxTypeDepth: Number.POSITIVE_INFINITY,
  maxDeleteRanges: Number.POSITIVE_INFINITY,
  rootTypes: null,
}

/**
 * What {@link DocStructure.judge} found: the update may be applied (`ready`, with what to
 * {@link DocStructure.record}), is refused (`refused`: why), or depends on content the document
 * lacks (`needs`: for each client, the clock the document must reach first).
 */
export type Verdict =
  | {
      readonly kind: 'ready'
      readonly structs: readonly Recorded[]
      /**
       * The content of other clients (and of its own clients' earlier clocks) the update refers
       * to, as pairs: client, then the highest clock of it named there.
       */
      readonly refs: readonly number[]
      /** The ids the update deletes, as triples: client, clock, length (as Yjs wrote them). */
      readonly deletes: readonly number[]
    }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'pending'; readonly needs: ReadonlyMap<number, number> }

/** A struct of an update, with what it would add to the document. */
interface Struct extends StructInfo {
  /** The struct's {@link Runs} value once resolved, else -1. */
  value: number
}

/** Clocks `from` to `to` (exclusive) of `client` hold structs of {@link Runs} value `value`. */
interface Recorded {
  client: number
  from: number
  to: number
  value: number
}

// A run's value packs the depth of the type its structs are in (0: none, the struct is garbage
// collected when integrated) and whether the struct is a type itself.
const runValue = (depth: number, isType: boolean) => depth * 2 + (isType ? 1 : 0)
const depthOf = (value: number) => value >> 1
const isTypeValue = (value: number) => (value & 1) === 1

/**
 * One client's structs in the document, from clock 0 to `end`, as runs of equal value: in a
 * text document all of a client's characters are one run, whatever their number.
 */
class Runs {
  constructor(
    readonly starts: number[] = [],
    readonly values: number[] = [],
    public end = 0,
  ) {}

  at(clock: number): number {
    const { starts } = this
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((starts[mid] as number) <= clock) lo = mid
      else hi = mid - 1
    }
    return this.values[lo] as number
  }

  push(from: number, to: number, value: number): void {
    if (to <= this.end || from > this.end) return
    if (this.values[this.values.length - 1] !== value) {
      this.starts.push(this.end)
      this.values.push(value)
    }
    this.end = to
  }
}

/** A min-heap of clients waiting for a clock of one client, keyed by that clock. */
class Waiters {
  readonly #clocks: number[] = []
  readonly #clients: number[] = []

  /** The smallest clock waited for, if any. */
  min(): number | undefined {
    return this.#clocks[0]
  }

  push(clock: number, client: number): void {
    const clocks = this.#clocks
    const clients = this.#clients
    let i = clocks.length
    clocks.push(clock)
    clients.push(client)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((clocks[parent] as number) <= clock) break
      clocks[i] = clocks[parent] as number
      clients[i] = clients[parent] as number
      i = parent
    }
    clocks[i] = clock
    clients[i] = client
  }

  /** Removes and returns the clients waiting for a clock below `frontier`. */
  popBelow(frontier: number, out: number[]): void {
    const clocks = this.#clocks
    const clients = this.#clients
    while (clocks.length > 0 && (clocks[0] as number) < frontier) {
      out.push(clients[0] as number)
      const lastClock = clocks.pop() as number
      const lastClient = clients.pop() as number
      if (clocks.length === 0) break
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= clocks.length) break
        const right = left + 1
        const child =
          right < clocks.length && (clocks[right] as number) < (clocks[left] as number)
            ? right
            : left
        if ((clocks[child] as number) >= lastClock) break
        clocks[i] = clocks[child] as number
        clients[i] = clients[child] as number
        i = child
      }
      clocks[i] = lastClock
      clients[i] = lastClient
    }
  }
}

/**
 * What a server needs to know of a document's structure to judge an update without building a
 * `Y.Doc`: for every client, how far its clock goes and, by runs, the depth of the type its
 * structs are in. It answers what Yjs would do with an update: integrate it (and how deep its
 * types would nest), or keep part of it pending because content it depends on is missing.
 */
export class DocStructure {
  readonly #clients = new Map<number, Runs>()

  /** The structure of a whole document (an update from an empty state), as Yjs integrates it. */
  static of(update: Uint8Array): DocStructure {
    const structure = new DocStructure()
    structure.add(update)
    return structure
  }

  /**
   * The structure of a stored log (the snapshot, then the updates in commit order) if Yjs
   * integrates every part of it whole: each well formed (else this throws `ProtocolError`), none
   * refused as one a live room would refuse (`problem`), none with a part left pending. Such a
   * log can be served as it is stored, without folding it into a `Y.Doc` first. `null`
   * otherwise: fold it (which sets aside what throws), then take {@link of}.
   */
  static ofLog(parts: readonly Uint8Array[]): DocStructure | null {
    const structure = new DocStructure()
    for (const part of parts) {
      const verdict = structure.#judge(part, STORED_LIMITS)
      if (verdict.kind !== 'ready') return null
      structure.record(verdict)
    }
    return structure
  }

  /**
   * The structure of what Yjs integrates of `parts` applied in order, leaving out what it would
   * keep pending (as {@link add} does): the structure of a fold, which may carry pending parts.
   */
  static integrated(parts: readonly Uint8Array[]): DocStructure {
    const structure = new DocStructure()
    for (const part of parts) structure.add(part)
    return structure
  }

  /** The structure as plain data, to send between threads (see {@link fromRuns}). */
  toRuns(): StructureRuns {
    const runs: StructureRuns = []
    for (const [client, { starts, values, end }] of this.#clients) {
      runs.push({ client, starts, values, end })
    }
    return runs
  }

  /** The structure {@link toRuns} gave. */
  static fromRuns(data: StructureRuns): DocStructure {
    const structure = new DocStructure()
    for (const { client, starts, values, end } of data) {
      structure.#clients.set(client, new Runs([...starts], [...values], end))
    }
    return structure
  }

  /** The clock after the last struct of `client` the document holds. */
  clockOf(client: number): number {
    return this.#clients.get(client)?.end ?? 0
  }

  /**
   * The document's state vector, as `Y.encodeStateVector` would give it, without folding the
   * document: for each client, the clock after its last struct. It counts updates accepted and
   * not yet stored too (they are on their way, milliseconds from it).
   */
  stateVector(): Uint8Array {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, this.#clients.size)
    for (const [client, runs] of this.#clients) {
      encoding.writeVarUint(encoder, client)
      encoding.writeVarUint(encoder, runs.end)
    }
    return encoding.toUint8Array(encoder)
  }

  /** Whether the document holds everything `needs` names. */
  satisfies(needs: ReadonlyMap<number, number>): boolean {
    for (const [client, clock] of needs) if (this.clockOf(client) < clock) return false
    return true
  }

  /**
   * Adds what Yjs would integrate of `update`, an update of the document's own (stored, or
   * judged elsewhere) that is not checked against limits. What it depends on but the document
   * lacks is left out, as Yjs leaves it pending.
   */
  add(update: Uint8Array): void {
    const verdict = this.#judge(update, null)
    if (verdict.kind === 'ready') this.record(verdict)
  }

  /**
   * Judges `update` (which is also validated: throws `ProtocolError` if it is not well formed)
   * against `limits` and the document's structure. Changes nothing: see {@link record}.
   */
  judge(update: Uint8Array, limits: UpdateLimits): Verdict {
    return this.#judge(update, limits)
  }

  /** Adds the structs of an update judged `ready`. Call before anything else is judged. */
  record(verdict: Extract<Verdict, { kind: 'ready' }>): void {
    for (const { client, from, to, value } of verdict.structs) {
      let runs = this.#clients.get(client)
      if (!runs) {
        runs = new Runs()
        this.#clients.set(client, runs)
      }
      runs.push(from, to, value)
    }
  }

  /**
   * Integrates `update` as Yjs would, struct by struct in an order that respects every
   * dependency (a client's structs in clock order; an item after the items it is placed next to
   * and the type it is in), resolving each struct's depth from the ones before it. With `limits`
   * `null` (a trusted update), nothing is refused and what cannot be integrated is left out.
   * Every update a room receives passes here, so the common one (a keystroke: one struct, one
   * client, everything it needs at hand) allocates little.
   */
  #judge(update: Uint8Array, limits: UpdateLimits | null): Verdict {
    const scan = new Scan(limits?.rootTypes ?? null)
    inspectUpdate(update, scan)
    if (limits) {
      const problem = scan.problem(limits.maxDeleteRanges)
      if (problem !== null) return refused(problem)
    }
    const { structs, blocks } = scan
    let needs: Map<number, number> | null = null
    const need = (client: number, clock: number) => {
      needs ??= new Map()
      needs.set(client, Math.max(needs.get(client) ?? 0, clock))
    }
    const queue = [...blocks.keys()]
    for (const block of blocks.values()) block.frontier = this.clockOf(block.client)
    const woken: number[] = []

    while (queue.length > 0) {
      const block = blocks.get(queue.pop() as number) as Block
      const { client, end } = block
      let i = block.next
      for (; i < end; i++) {
        const s = structs[i] as Struct
        // Yjs skips a Skip; the struct after it then finds its clocks missing.
        if (s.kind === StructKind.Skip) continue
        const reached = block.frontier
        if (s.clock > reached) {
          // A gap in the client's clocks: only the client itself can fill it.
          need(client, s.clock)
          break
        }
        if (s.kind === StructKind.Item) {
          // Yjs looks for an item's neighbours and type even if it holds the item already.
          const missing = this.#missing(s, blocks)
          if (missing === SELF_LATER) {
            return refused(`item ${s.client}:${s.clock} is in a type its client wrote later`)
          }
          if (missing !== null) {
            const [depClient, depClock] = missing
            const dep = blocks.get(depClient)
            if (dep) {
              dep.waiters ??= new Waiters()
              dep.waiters.push(depClock, client)
            } else {
              need(depClient, depClock + 1)
            }
            break
          }
        }
        if (s.clock + s.length <= reached) continue // the document has it already
        let depth: number
        if (s.clock < reached) {
          // The rest of a struct the document holds in part: Yjs places it after that part.
          depth = depthOf(this.#valueAt(client, reached - 1, scan))
        } else if (s.kind === StructKind.GC) {
          depth = 0
        } else {
          depth = this.#containerDepth(s, scan)
          if (limits && s.isType && depth > 0 && depth + 1 > limits.maxTypeDepth) {
            return refused(
              `item ${s.client}:${s.clock} nests types ${depth + 1} deep (at most ${limits.maxTypeDepth})`,
            )
          }
        }
        s.value = runValue(depth, s.isType && depth > 0)
        block.frontier = s.clock + s.length
        if (block.waiters) {
          block.waiters.popBelow(block.frontier, woken)
          for (const w of woken) queue.push(w)
          woken.length = 0
        }
      }
      block.next = i
    }

    // What is still waiting waits for clocks this update does not bring (or brings only after
    // it, in a cycle that Yjs leaves pending too): the document must have them first.
    for (const block of blocks.values()) {
      const clock = block.waiters?.min()
      if (clock !== undefined) need(block.client, clock + 1)
    }
    if (scan.deletedTo) {
      for (const [client, to] of scan.deletedTo) {
        if (to > (blocks.get(client)?.frontier ?? this.clockOf(client))) need(client, to)
      }
    }
    if (needs !== null && limits) return { kind: 'pending', needs }

    const recorded: Recorded[] = []
    for (const { client, start, next } of blocks.values()) {
      const from = this.clockOf(client)
      for (let i = start; i < next; i++) {
        const s = structs[i] as Struct
        if (s.value < 0) continue
        recorded.push({
          client,
          from: Math.max(from, s.clock),
          to: s.clock + s.length,
          value: s.value,
        })
      }
    }
    return { kind: 'ready', structs: recorded, refs: scan.refs, deletes: scan.deletes }
  }

  /** The clock up to which `client` is integrated: in the update being judged, or here. */
  #clockIn(client: number, blocks: ReadonlyMap<number, Block>): number {
    return blocks.get(client)?.frontier ?? this.clockOf(client)
  }

  /** The run value of `client`'s struct at `clock`: in the document, or in the update. */
  #valueAt(client: number, clock: number, scan: Scan): number {
    const runs = this.#clients.get(client)
    if (runs && clock < runs.end) return runs.at(clock)
    return (structAt(scan.structs, scan.blocks, client, clock) as Struct).value
  }

  /**
   * The first ID `s` depends on (of another client) that is not integrated yet, as Yjs's
   * `Item.getMissing` checks them; {@link SELF_LATER} for a type of its own client not written
   * before it (Yjs would fail to find it); else `null`.
   */
  #missing(
    s: Struct,
    blocks: ReadonlyMap<number, Block>,
  ): readonly [number, number] | typeof SELF_LATER | null {
    if (
      s.originClock >= 0 &&
      s.originClient !== s.client &&
      s.originClock >= this.#clockIn(s.originClient, blocks)
    ) {
      return [s.originClient, s.originClock]
    }
    if (
      s.rightClock >= 0 &&
      s.rightClient !== s.client &&
      s.rightClock >= this.#clockIn(s.rightClient, blocks)
    ) {
      return [s.rightClient, s.rightClock]
    }
    if (s.parentClock >= 0) {
      if (s.parentClient === s.client) return s.parentClock >= s.clock ? SELF_LATER : null
      if (s.parentClock >= this.#clockIn(s.parentClient, blocks)) {
        return [s.parentClient, s.parentClock]
      }
    }
    return null
  }

  /**
   * The depth of the type item `s` is in, as Yjs finds its parent (`Item.getMissing`): next to a
   * garbage-collected struct it has none; otherwise its left neighbour's, else its right
   * neighbour's, else the root type or the type item it names.
   */
  #containerDepth(s: Struct, scan: Scan): number {
    const left =
      s.originClock >= 0 ? depthOf(this.#valueAt(s.originClient, s.originClock, scan)) : -1
    const right = s.rightClock >= 0 ? depthOf(this.#valueAt(s.rightClient, s.rightClock, scan)) : -1
    if (left === 0 || right === 0) return 0
    if (left > 0) return left
    if (right > 0) return right
    if (s.parentRoot !== null) return 1
    if (s.parentClock >= 0) {
      const parent = this.#valueAt(s.parentClient, s.parentClock, scan)
      return isTypeValue(parent) ? depthOf(parent) + 1 : 0
    }
    return 0
  }
}

/** One client's structs in an update being judged, and how far their integration has got. */
interface Block {
  client: number
  /** The client's structs are `structs[start]` to `structs[end - 1]`. */
  start: number
  end: number
  /** The clock up to which the client is integrated, and its next struct to integrate. */
  frontier: number
  next: number
  /** Clients waiting for this one to reach a clock. */
  waiters: Waiters | null
}

/** Reads an update for {@link DocStructure}: its structs by client, its deletions, its refs. */
class Scan implements UpdateVisitor {
  readonly structs: Struct[] = []
  /** Each client's structs, as a range of `structs`; Yjs writes a client once per update. */
  readonly blocks = new Map<number, Block>()
  /** For each client named, the end of its deletions; `null` without deletions. */
  deletedTo: Map<number, number> | null = null
  /** Pairs of (client, highest clock referred to), a client possibly more than once. */
  readonly refs: number[] = []
  /** The deletions, as triples: client, clock, length. */
  readonly deletes: number[] = []
  #repeated = -1
  #deleteRanges = 0
  #badDeletes: string | null = null
  #dsClient = -1
  #dsEnd = 0
  #outside: string | null = null
  readonly #rootTypes: ReadonlySet<string> | null

  constructor(rootTypes: ReadonlySet<string> | null) {
    this.#rootTypes = rootTypes
  }

  struct(s: StructInfo): void {
    // Yjs creates a named root type when it reads the item, whether it integrates it or not.
    if (this.#rootTypes && s.parentRoot !== null && !this.#rootTypes.has(s.parentRoot)) {
      this.#outside ??= s.parentRoot
    }
    const at = this.structs.length
    const block = this.blocks.get(s.client)
    if (block && block.end === at) block.end++
    else if (block) this.#repeated = s.client
    else {
      this.blocks.set(s.client, {
        client: s.client,
        start: at,
        end: at + 1,
        frontier: 0,
        next: at,
        waiters: null,
      })
    }
    this.structs.push({
      kind: s.kind,
      client: s.client,
      clock: s.clock,
      length: s.length,
      originClient: s.originClient,
      originClock: s.originClock,
      rightClient: s.rightClient,
      rightClock: s.rightClock,
      parentRoot: s.parentRoot,
      parentClient: s.parentClient,
      parentClock: s.parentClock,
      isType: s.isType,
      value: -1,
    })
    if (!block && s.clock > 0) this.refs.push(s.client, s.clock - 1) // its clocks before
    if (s.originClock >= 0 && s.originClient !== s.client) {
      this.refs.push(s.originClient, s.originClock)
    }
    if (s.rightClock >= 0 && s.rightClient !== s.client) this.refs.push(s.rightClient, s.rightClock)
    if (s.parentClock >= 0 && s.parentClient !== s.client) {
      this.refs.push(s.parentClient, s.parentClock)
    }
  }

  deleteRange(client: number, clock: number, length: number): void {
    this.#deleteRanges++
    this.deletes.push(client, clock, length)
    this.deletedTo ??= new Map()
    if (client !== this.#dsClient) {
      if (this.deletedTo.has(client)) {
        this.#badDeletes ??= `its delete set names client ${client} twice`
      }
      this.#dsClient = client
      this.#dsEnd = 0
    }
    // Yjs writes each client's deletions once, as ascending, disjoint, non-empty ranges; other
    // shapes it re-encodes wrongly when it keeps them pending (a negative delta becomes a huge
    // clock, an empty range throws).
    if (length === 0 || clock < this.#dsEnd) {
      this.#badDeletes ??= `its deletions of client ${client} are not ascending, disjoint ranges`
    }
    this.#dsEnd = clock + length
    this.deletedTo.set(client, this.#dsEnd)
    if (this.#dsEnd > 0) this.refs.push(client, this.#dsEnd - 1)
  }

  /** Why the update is refused before it is integrated, if it is. */
  problem(maxDeleteRanges: number): string | null {
    if (this.#repeated >= 0) return `it writes client ${this.#repeated} twice`
    if (this.#badDeletes !== null) return this.#badDeletes
    if (this.#outside !== null) {
      return `it writes in root type ${JSON.stringify(this.#outside)}, which this server does not allow`
    }
    if (this.#deleteRanges > maxDeleteRanges) {
      return `its delete set has ${this.#deleteRanges} ranges (at most ${maxDeleteRanges})`
    }
    return null
  }
}

function refused(reason: string): Verdict {
  return { kind: 'refused', reason }
}

const SELF_LATER = 'self-later'

/** The struct of `client` in `structs` that holds `clock`. */
function structAt(
  structs: readonly Struct[],
  blocks: ReadonlyMap<number, Block>,
  client: number,
  clock: number,
): Struct | undefined {
  const block = blocks.get(client)
  if (!block) return undefined
  let lo = block.start
  let hi = block.end - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if ((structs[mid] as Struct).clock <= clock) lo = mid
    else hi = mid - 1
  }
  return structs[lo]
}
