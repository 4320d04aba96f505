import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

// Well-formed but hostile Yjs updates (issue 13), for tests and the bench. Everything here
// passes validateUpdate: the bytes are what Yjs itself reads, only what they say is hostile.
// The builders write the v1 update encoding with lib0 directly, for shapes Yjs never produces
// (a 20,000-level chain built without recursion, 100,000 delete ranges of a client that never
// wrote); HostileGenerator also drives real Y.Docs, so that most of its bytes are realistic.

/** A struct's id: the client that wrote it and its clock. */
export interface Id {
  client: number
  clock: number
}

/** Yjs's type refs (the `typeRef` of a ContentType). */
export const TypeRef = {
  Array: 0,
  Map: 1,
  Text: 2,
  XmlElement: 3,
  XmlFragment: 4,
  XmlHook: 5,
  XmlText: 6,
} as const
export type TypeRef = (typeof TypeRef)[keyof typeof TypeRef]

/** Where an item without neighbours goes: a root type by name, or the type an item holds. */
export type Parent = { root: string } | { id: Id }

/** An item's content, one case per Yjs content ref. */
export type Content =
  | { kind: 'deleted'; length: number }
  | { kind: 'json'; values: unknown[] }
  | { kind: 'binary'; bytes: Uint8Array }
  | { kind: 'string'; text: string }
  | { kind: 'embed'; value: unknown }
  | { kind: 'format'; key: string; value: unknown }
  | { kind: 'type'; typeRef: TypeRef; name?: string }
  | { kind: 'any'; values: unknown[] }
  | { kind: 'doc'; guid: string; options: Record<string, unknown> }

/** One struct of a client's run: garbage, a gap, or an item. */
export type Struct =
  | { kind: 'gc'; length: number }
  | { kind: 'skip'; length: number }
  | {
      kind: 'item'
      origin?: Id | null
      rightOrigin?: Id | null
      /** Written only when the item has neither neighbour (Yjs takes it from them otherwise). */
      parent?: Parent | null
      parentSub?: string | null
      content: Content
    }

/** Consecutive structs of one client from `clock` on. */
export interface ClientRun {
  client: number
  clock: number
  structs: Struct[]
}

/** `length` clocks of `client` from `clock` on, deleted. */
export interface DeleteRange {
  client: number
  clock: number
  length: number
}

/** An update as structs and deletions, before encoding. */
export interface UpdateSpec {
  runs: ClientRun[]
  deletes: DeleteRange[]
}

const CONTENT_REF = {
  deleted: 1,
  json: 2,
  binary: 3,
  string: 4,
  embed: 5,
  format: 6,
  type: 7,
  any: 8,
  doc: 9,
} as const

/** How many clocks `content` takes, as Yjs counts them. */
export function contentLength(content: Content): number {
  switch (content.kind) {
    case 'deleted':
      return content.length
    case 'json':
    case 'any':
      return content.values.length
    case 'string':
      return content.text.length
    default:
      return 1
  }
}

/** How many clocks `struct` takes. */
export function structLength(struct: Struct): number {
  return struct.kind === 'item' ? contentLength(struct.content) : struct.length
}

/** Encodes `spec` as a v1 Yjs update, exactly as Yjs's UpdateEncoderV1 lays it out. */
export function encodeUpdate(spec: UpdateSpec): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, spec.runs.length)
  for (const run of spec.runs) {
    encoding.writeVarUint(e, run.structs.length)
    encoding.writeVarUint(e, run.client)
    encoding.writeVarUint(e, run.clock)
    for (const struct of run.structs) writeStruct(e, struct)
  }
  writeDeleteSet(e, spec.deletes)
  return encoding.toUint8Array(e)
}

function writeStruct(e: encoding.Encoder, struct: Struct): void {
  if (struct.kind === 'gc') {
    encoding.writeUint8(e, 0)
    encoding.writeVarUint(e, struct.length)
    return
  }
  if (struct.kind === 'skip') {
    encoding.writeUint8(e, 10)
    encoding.writeVarUint(e, struct.length)
    return
  }
  const { origin, rightOrigin, parent, parentSub, content } = struct
  const writesParent = !origin && !rightOrigin
  if (writesParent && !parent) throw new Error('an item without neighbours needs a parent')
  const info =
    CONTENT_REF[content.kind] |
    (origin ? 0x80 : 0) |
    (rightOrigin ? 0x40 : 0) |
    (writesParent && parentSub != null ? 0x20 : 0)
  encoding.writeUint8(e, info)
  if (origin) writeId(e, origin)
  if (rightOrigin) writeId(e, rightOrigin)
  if (writesParent && parent) {
    if ('root' in parent) {
      encoding.writeVarUint(e, 1)
      encoding.writeVarString(e, parent.root)
    } else {
      encoding.writeVarUint(e, 0)
      writeId(e, parent.id)
    }
    if (parentSub != null) encoding.writeVarString(e, parentSub)
  }
  writeContent(e, content)
}

function writeId(e: encoding.Encoder, id: Id): void {
  encoding.writeVarUint(e, id.client)
  encoding.writeVarUint(e, id.clock)
}

function writeContent(e: encoding.Encoder, content: Content): void {
  switch (content.kind) {
    case 'deleted':
      encoding.writeVarUint(e, content.length)
      return
    case 'json':
      encoding.writeVarUint(e, content.values.length)
      for (const v of content.values) {
        encoding.writeVarString(e, v === undefined ? 'undefined' : JSON.stringify(v))
      }
      return
    case 'binary':
      encoding.writeVarUint8Array(e, content.bytes)
      return
    case 'string':
      encoding.writeVarString(e, content.text)
      return
    case 'embed':
      encoding.writeVarString(e, JSON.stringify(content.value))
      return
    case 'format':
      encoding.writeVarString(e, content.key)
      encoding.writeVarString(e, JSON.stringify(content.value))
      return
    case 'type':
      encoding.writeVarUint(e, content.typeRef)
      if (content.typeRef === TypeRef.XmlElement || content.typeRef === TypeRef.XmlHook) {
        encoding.writeVarString(e, content.name ?? 'div')
      }
      return
    case 'any':
      encoding.writeVarUint(e, content.values.length)
      for (const v of content.values) encoding.writeAny(e, v as never)
      return
    case 'doc':
      encoding.writeVarString(e, content.guid)
      encoding.writeAny(e, content.options as never)
      return
  }
}

/** Writes `ranges` grouped by client, in the order clients first appear. */
function writeDeleteSet(e: encoding.Encoder, ranges: readonly DeleteRange[]): void {
  const byClient = new Map<number, DeleteRange[]>()
  for (const range of ranges) {
    const list = byClient.get(range.client)
    if (list) list.push(range)
    else byClient.set(range.client, [range])
  }
  encoding.writeVarUint(e, byClient.size)
  for (const [client, list] of byClient) {
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, list.length)
    for (const range of list) {
      encoding.writeVarUint(e, range.clock)
      encoding.writeVarUint(e, range.length)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The cases.

export interface ChainOptions {
  /** The writing client (default 7). */
  client?: number
  /** Clock of the outermost item (default 0). */
  clock?: number
  /** Where the outermost type goes (default: the root text `codemirror`). */
  parent?: Parent
  /** Type of every level (default Y.Array). */
  typeRef?: TypeRef
}

/**
 * One update holding `depth` shared types, each inside the one before: item k's parent is the
 * type of item k - 1. Built without recursion, so any depth can be written; 20,000 levels are
 * about 140 KB. Deleting the outermost item ({@link deleteOutermost}) makes Yjs recurse once
 * per level.
 */
export function nestedChain(depth: number, options: ChainOptions = {}): Uint8Array {
  return encodeUpdate({ runs: [chainRun(depth, options)], deletes: [] })
}

/** The structs of {@link nestedChain}, to combine with others. */
export function chainRun(depth: number, options: ChainOptions = {}): ClientRun {
  const client = options.client ?? 7
  const clock = options.clock ?? 0
  const typeRef = options.typeRef ?? TypeRef.Array
  const content: Content =
    typeRef === TypeRef.XmlElement || typeRef === TypeRef.XmlHook
      ? { kind: 'type', typeRef, name: 'div' }
      : { kind: 'type', typeRef }
  const structs: Struct[] = []
  for (let k = 0; k < depth; k++) {
    const parent: Parent =
      k === 0
        ? (options.parent ?? { root: 'codemirror' })
        : { id: { client, clock: clock + k - 1 } }
    structs.push({ kind: 'item', parent, content })
  }
  return { client, clock, structs }
}

/** A 7-byte update with no structs that deletes `length` clocks of `client` from `clock`. */
export function deleteOutermost(client = 7, clock = 0, length = 1): Uint8Array {
  return encodeUpdate({ runs: [], deletes: [{ client, clock, length }] })
}

export interface WideDeleteSetOptions {
  /** Whose clocks (default: 0x5eed, a client that never wrote). */
  client?: number
  /** Clock of the first range (default 0). */
  firstClock?: number
  /** Distance between the starts of two ranges (default 2, so that none touch). */
  stride?: number
}

/**
 * An update with no structs whose delete set names `ranges` separate one-clock ranges of one
 * client. Yjs keeps deletions it cannot apply as pending and re-reads all of them on every
 * later update.
 */
export function wideDeleteSet(ranges: number, options: WideDeleteSetOptions = {}): Uint8Array {
  const client = options.client ?? 0x5eed
  const first = options.firstClock ?? 0
  const stride = options.stride ?? 2
  const deletes: DeleteRange[] = []
  for (let k = 0; k < ranges; k++) deletes.push({ client, clock: first + k * stride, length: 1 })
  return encodeUpdate({ runs: [], deletes })
}

export interface DanglingOptions {
  /** The writing client (default 11). */
  client?: number
  /** Its clock (default 0: a client that writes for the first time). */
  clock?: number
  /** The neighbour the document does not have (default: clock 1000 of client 0xdead). */
  missing?: Id
  /** Which neighbour is missing (default `origin`, the left one). */
  side?: 'origin' | 'rightOrigin' | 'parent'
  /** The text inserted (default `x`). */
  text?: string
}

/**
 * One item placed next to (or inside) an item the document lacks. Yjs keeps it as pending
 * until that item arrives, and re-reads it on every later update meanwhile.
 */
export function danglingOrigin(options: DanglingOptions = {}): Uint8Array {
  const missing = options.missing ?? { client: 0xdead, clock: 1000 }
  const side = options.side ?? 'origin'
  const content: Content = { kind: 'string', text: options.text ?? 'x' }
  const item: Struct =
    side === 'parent'
      ? { kind: 'item', parent: { id: missing }, content }
      : { kind: 'item', [side]: missing, content }
  return encodeUpdate({
    runs: [{ client: options.client ?? 11, clock: options.clock ?? 0, structs: [item] }],
    deletes: [],
  })
}

export interface AwarenessFloodOptions {
  /** The first client id (default 1); the others follow it. */
  firstId?: number
  /** The clock of every entry (default 1). */
  clock?: number
  /** The state of every entry, as JSON (default `{}`); `null` for removals. */
  state?: string | null
}

/**
 * An awareness update (y-protocols' encoding: the payload of an awareness message) with `ids`
 * client ids: 300,000 of them with `{}` states are about 2 MiB.
 */
export function awarenessFlood(ids: number, options: AwarenessFloodOptions = {}): Uint8Array {
  const first = options.firstId ?? 1
  const clock = options.clock ?? 1
  const state = options.state === undefined ? '{}' : options.state
  const json = state === null ? 'null' : state
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, ids)
  for (let k = 0; k < ids; k++) {
    encoding.writeVarUint(e, first + k)
    encoding.writeVarUint(e, clock)
    encoding.writeVarString(e, json)
  }
  return encoding.toUint8Array(e)
}

// y-websocket frames (message type, then for sync the step), so that callers need no codec.

function frame(prefix: readonly number[], payload: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  for (const n of prefix) encoding.writeVarUint(e, n)
  encoding.writeVarUint8Array(e, payload)
  return encoding.toUint8Array(e)
}

/** A sync update frame holding `update`. */
export function syncUpdateFrame(update: Uint8Array): Uint8Array {
  return frame([0, 2], update)
}

/** A sync step 2 frame holding `update`. */
export function syncStep2Frame(update: Uint8Array): Uint8Array {
  return frame([0, 1], update)
}

/** A sync step 1 frame holding `stateVector`. */
export function syncStep1Frame(stateVector: Uint8Array): Uint8Array {
  return frame([0, 0], stateVector)
}

/** An awareness frame holding `update` (see {@link awarenessFlood}). */
export function awarenessFrame(update: Uint8Array): Uint8Array {
  return frame([1], update)
}

// ---------------------------------------------------------------------------------------------
// Checks of a document, without recursion (a hostile document may be deeper than the stack).

/** How deep `type` is nested: a root type is at depth 1, a type inside it at 2, and so on. */
export function typeDepth(type: Y.AbstractType<unknown>): number {
  let depth = 1
  for (let item = type._item; item; ) {
    depth++
    const parent = item.parent
    item = parent instanceof Y.AbstractType ? parent._item : null
  }
  return depth
}

/** The depth of the deepest shared type of `doc`, deleted ones included (0 if it has none). */
export function maxTypeDepth(doc: Y.Doc): number {
  const depths = new Map<Y.AbstractType<unknown>, number>()
  const depthOf = (type: Y.AbstractType<unknown>): number => {
    // Walk up to the first type whose depth is known, then fill in the way back down.
    const path: Y.AbstractType<unknown>[] = []
    let base = 0
    for (let t: Y.AbstractType<unknown> | null = type; t; ) {
      const known = depths.get(t)
      if (known !== undefined) {
        base = known
        break
      }
      path.push(t)
      const parent: unknown = t._item?.parent
      t = parent instanceof Y.AbstractType ? parent : null
    }
    for (let k = path.length - 1; k >= 0; k--) depths.set(path[k]!, ++base)
    return depths.get(type)!
  }
  let max = doc.share.size > 0 ? 1 : 0
  for (const structs of doc.store.clients.values()) {
    for (const struct of structs) {
      if (struct instanceof Y.Item && struct.content instanceof Y.ContentType) {
        max = Math.max(max, depthOf(struct.content.type as Y.AbstractType<unknown>))
      }
    }
  }
  return max
}

// ---------------------------------------------------------------------------------------------
// The structure-aware generator.

/** A small seeded generator (mulberry32), so that a failing run can be replayed. */
export class Rng {
  #a: number
  constructor(seed: number) {
    this.#a = seed | 0
  }
  /** A float in [0, 1). */
  next(): number {
    this.#a = (this.#a + 0x6d2b79f5) | 0
    let t = Math.imul(this.#a ^ (this.#a >>> 15), 1 | this.#a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing')
    return items[this.int(items.length)]!
  }
  /** A client id as Yjs makes them (a random uint32 other than 0). */
  client(): number {
    return 1 + this.int(0xfffffffe)
  }
}

/** The limits the generated updates probe (those of the room under test). */
export interface GeneratorLimits {
  /** Deepest nesting of shared types allowed; root types are at depth 1. */
  maxTypeDepth: number
  /** Most delete ranges one update may name. */
  maxDeleteRanges: number
  /** The root types a document may have, or `null` for any. */
  rootTypes: readonly string[] | null
}

/** One generated update, and who sends it. */
export interface GeneratedUpdate {
  /**
   * The connection that sends it: `honest-<n>` for a well-behaved editor (its updates never
   * break a limit and depend only on other honest updates of the same or an earlier wave),
   * `yjs-<n>` for a real Y.Doc that nests too deep, writes outside the schema and deletes in
   * bulk, `crafted` for lib0-encoded updates (any attacker connection).
   */
  sender: string
  honest: boolean
  /** Which case made it, for failure reports. */
  kind: string
  update: Uint8Array
  /** Sent as a sync step 2 rather than a sync update. */
  step2: boolean
}

/** Whether a delivery is the generator's own (so editors do not record it as theirs). */
const REMOTE = Symbol('remote')

const ROOTS_OPEN = ['codemirror', 'meta', 'list', 'xml'] as const
const ROOTS_SCHEMA = ['codemirror', 'meta'] as const

type AnyType = Y.AbstractType<unknown>

interface LiveType {
  type: AnyType
  depth: number
}

/** A Y.Doc that edits at random and records the updates of its own transactions. */
class Editor {
  readonly doc: Y.Doc
  readonly sent: Uint8Array[] = []
  /** Index into each other editor's `sent` up to which this one has applied. */
  readonly seen = new Map<Editor, number>()
  types: LiveType[] = []
  constructor(
    readonly name: string,
    readonly honest: boolean,
    readonly roots: readonly string[],
    readonly maxDepth: number,
    clientId: number,
  ) {
    this.doc = new Y.Doc()
    this.doc.clientID = clientId
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE) this.sent.push(update)
    })
    this.rescan()
  }

  /** Finds every live type, from the roots down (after remote updates brought new ones). */
  rescan(): void {
    const found: LiveType[] = []
    const queue: LiveType[] = this.roots.map((name) => ({ type: this.root(name), depth: 1 }))
    while (queue.length > 0 && found.length < 400) {
      const next = queue.pop()!
      found.push(next)
      const children: Y.Item[] = []
      for (let item = next.type._start; item; item = item.right) children.push(item)
      for (const item of next.type._map.values()) children.push(item)
      for (const item of children) {
        if (!item.deleted && item.content instanceof Y.ContentType) {
          queue.push({ type: item.content.type as AnyType, depth: next.depth + 1 })
        }
      }
    }
    this.types = found
  }

  root(name: string): AnyType {
    switch (name) {
      case 'codemirror':
        return this.doc.getText(name) as unknown as AnyType
      case 'list':
        return this.doc.getArray(name) as unknown as AnyType
      case 'xml':
        return this.doc.getXmlFragment(name) as unknown as AnyType
      default:
        return this.doc.getMap(name) as unknown as AnyType
    }
  }
}

/** Whether `type` or a type it is inside is deleted. */
function isDeleted(type: AnyType): boolean {
  return type._item?.deleted ?? false
}

const WORDS = ['a', 'hello', ' ', '\n', 'é', '✋', '🎉', 'xyz', 'tandem', '0']

/**
 * Generates well-formed hostile updates, deterministically from a seed: real editors (Y.Docs)
 * that behave, a real Y.Doc that does not, and lib0-encoded updates with random clients,
 * origins, parents, contents, GC and Skip structs, deep chains and wide delete sets, placed
 * around the limits of {@link GeneratorLimits}. Each {@link wave} returns updates in delivery
 * order; an update may depend on one delivered later (it then waits for it, or never gets it).
 */
export class HostileGenerator {
  readonly #rng: Rng
  readonly #limits: GeneratorLimits
  readonly #editors: Editor[]
  readonly #honest: Editor[]
  readonly #wild: Editor
  /** Next clock of each client the crafted updates write as, and the types they made. */
  readonly #crafted = new Map<number, number>()
  readonly #craftedTypes: { id: Id; depth: number }[] = []
  /** Updates to deliver in a later wave (the second half of an out-of-order pair). */
  #later: GeneratedUpdate[] = []

  constructor(seed: number, limits: GeneratorLimits) {
    this.#rng = new Rng(seed)
    this.#limits = limits
    const roots = limits.rootTypes
      ? ROOTS_SCHEMA.filter((r) => limits.rootTypes!.includes(r))
      : ROOTS_OPEN
    const honestRoots = roots.length > 0 ? roots : [...ROOTS_SCHEMA]
    this.#honest = [0, 1, 2].map(
      (n) => new Editor(`honest-${n}`, true, honestRoots, limits.maxTypeDepth, this.#rng.client()),
    )
    this.#wild = new Editor(
      'yjs-0',
      false,
      [...ROOTS_OPEN, 'evil'],
      limits.maxTypeDepth + 3,
      this.#rng.client(),
    )
    this.#editors = [...this.#honest, this.#wild]
  }

  /** About `size` updates, in the order to deliver them. */
  wave(size: number): GeneratedUpdate[] {
    const out: GeneratedUpdate[] = this.#later
    this.#later = []
    while (out.length < size) {
      const roll = this.#rng.next()
      if (roll < 0.4) out.push(...this.#honestEdits())
      else if (roll < 0.52) out.push(...this.#wildEdits())
      else out.push(...this.#craftedCase())
    }
    return out
  }

  // --- real editors -------------------------------------------------------------------------

  #exchange(editor: Editor): void {
    // Honest editors see each other; the wild one sees them; nobody sees the wild one.
    const updates: Uint8Array[] = []
    for (const other of this.#honest) {
      if (other === editor) continue
      const from = editor.seen.get(other) ?? 0
      updates.push(...other.sent.slice(from))
      editor.seen.set(other, other.sent.length)
    }
    // Merged, so that updates that arrive before those they depend on cost one pass.
    if (updates.length > 0) Y.applyUpdate(editor.doc, Y.mergeUpdates(updates), REMOTE)
    editor.rescan()
  }

  #honestEdits(): GeneratedUpdate[] {
    const editor = this.#rng.pick(this.#honest)
    return this.#edits(editor)
  }

  #wildEdits(): GeneratedUpdate[] {
    return this.#edits(this.#wild)
  }

  #edits(editor: Editor): GeneratedUpdate[] {
    const rng = this.#rng
    if (rng.chance(0.15)) this.#exchange(editor)
    const before = editor.sent.length
    // Mostly single keystrokes; sometimes a burst (merged by the room when 16 or more).
    const count = rng.chance(0.08) ? rng.range(16, 24) : rng.range(1, 3)
    for (let k = 0; k < count; k++) this.#edit(editor)
    const out: GeneratedUpdate[] = editor.sent.slice(before).map((update) => ({
      sender: editor.name,
      honest: editor.honest,
      kind: editor.honest ? 'honest edit' : 'yjs: deep, bulk or off-schema edit',
      update,
      step2: rng.chance(0.1),
    }))
    if (rng.chance(0.03)) {
      // A reconnecting client's step 2: everything it has, its whole delete set included
      // (Yjs sends all of it whatever the server has), and whatever it holds as pending.
      const ds = Y.createDeleteSetFromStructStore(editor.doc.store)
      let ranges = 0
      for (const list of ds.clients.values()) ranges += list.length
      const over = ranges > this.#limits.maxDeleteRanges
      out.push({
        sender: editor.name,
        honest: editor.honest && !over,
        kind: over
          ? `full-state step 2 with ${ranges} delete ranges (over the limit)`
          : 'full-state step 2 (as a reconnecting client sends)',
        update: Y.encodeStateAsUpdate(editor.doc),
        step2: true,
      })
    }
    return out
  }

  #edit(editor: Editor): void {
    const rng = this.#rng
    const live = editor.types.filter((t) => !isDeleted(t.type))
    const wild = !editor.honest
    // The wild editor goes for the deepest type it has.
    const target =
      wild && rng.chance(0.6)
        ? live.reduce((a, b) => (b.depth > a.depth ? b : a))
        : rng.pick(live.length > 0 ? live : editor.types)
    const canNest = target.depth < editor.maxDepth && editor.types.length < 300
    const nest = canNest && rng.chance(wild ? 0.7 : 0.15)
    const type = target.type
    editor.doc.transact(() => {
      if (wild && rng.chance(0.1)) {
        // A root outside any schema.
        editor.doc.getMap('evil').set(`k${rng.int(5)}`, rng.int(100))
        return
      }
      if (wild && rng.chance(0.08)) {
        // Many delete ranges in one update: every other character of a long text.
        const text = editor.doc.getText('codemirror')
        const n = this.#limits.maxDeleteRanges + rng.range(-2, 4)
        text.insert(0, 'ab'.repeat(n))
        for (let k = n - 1; k >= 0; k--) text.delete(2 * k, 1)
        return
      }
      if (type instanceof Y.XmlText || type instanceof Y.Text) {
        const length = type.length
        const r = rng.next()
        if (r < 0.5 || length === 0) {
          const attrs = rng.chance(0.2) ? { bold: true } : undefined
          type.insert(rng.int(length + 1), rng.pick(WORDS), attrs)
        } else if (r < 0.75) {
          const at = rng.int(length)
          type.delete(at, Math.min(length - at, rng.range(1, 4)))
        } else if (r < 0.85) {
          type.format(rng.int(length), rng.range(1, 3), { italic: rng.chance(0.5) ? true : null })
        } else if (nest && !(type instanceof Y.XmlText)) {
          type.insertEmbed(rng.int(length + 1), newType(rng, false) as never)
        } else {
          type.insertEmbed(rng.int(length + 1), { image: 'x.png' })
        }
      } else if (type instanceof Y.XmlFragment) {
        // Also Y.XmlElement, a subclass.
        const length = type.length
        if (type instanceof Y.XmlElement && rng.chance(0.2)) {
          type.setAttribute(`a${rng.int(3)}`, rng.pick(WORDS))
        } else if (length > 0 && rng.chance(0.3)) {
          type.delete(rng.int(length), 1)
        } else if (!canNest) {
          // Whatever goes into an XML node is a type: nothing to add at the deepest level.
          if (type instanceof Y.XmlElement) type.setAttribute('full', 'yes')
          else if (length > 0) type.delete(rng.int(length), 1)
        } else if (nest || rng.chance(0.3)) {
          type.insert(rng.int(length + 1), [newType(rng, true) as Y.XmlElement])
        } else {
          const t = new Y.XmlText()
          type.insert(rng.int(length + 1), [t])
          t.insert(0, rng.pick(WORDS))
        }
      } else if (type instanceof Y.Array) {
        const length = type.length
        if (length > 0 && rng.chance(0.3)) {
          const at = rng.int(length)
          type.delete(at, Math.min(length - at, rng.range(1, 3)))
        } else if (nest) {
          type.insert(rng.int(length + 1), [newType(rng, false)])
        } else {
          type.insert(rng.int(length + 1), [rng.int(1000), rng.pick(WORDS)])
        }
      } else if (type instanceof Y.Map) {
        const key = `k${rng.int(6)}`
        if (type.has(key) && rng.chance(0.3)) type.delete(key)
        else if (nest) type.set(key, newType(rng, false))
        else type.set(key, rng.chance(0.5) ? rng.int(1000) : { nested: rng.pick(WORDS) })
      }
    })
    // New types are found by the next rescan; a nested one is usable at once.
    if (nest) editor.rescan()
  }

  // --- crafted updates ----------------------------------------------------------------------

  /** An id of something some editor's document holds: an item, a type item, or GC. */
  #existing(): { id: Id; type: boolean; depth: number } | null {
    const rng = this.#rng
    if (this.#craftedTypes.length > 0 && rng.chance(0.2)) {
      const t = rng.pick(this.#craftedTypes)
      return { id: t.id, type: true, depth: t.depth }
    }
    const editor = rng.pick(this.#editors)
    const clients = [...editor.doc.store.clients.values()]
    if (clients.length === 0) return null
    const structs = rng.pick(clients)
    const struct = rng.pick(structs)
    const id = { client: struct.id.client, clock: struct.id.clock + rng.int(struct.length) }
    if (struct instanceof Y.Item && struct.content instanceof Y.ContentType) {
      return { id: struct.id, type: true, depth: typeDepth(struct.content.type as AnyType) }
    }
    return { id, type: false, depth: 0 }
  }

  /** An id nobody has: a client that never wrote, or a clock past what a client wrote. */
  #missing(): Id {
    const rng = this.#rng
    const known = this.#existing()
    if (known && rng.chance(0.5)) {
      return { client: known.id.client, clock: known.id.clock + rng.range(1000, 100_000) }
    }
    return { client: rng.client(), clock: rng.int(50) }
  }

  #root(): string {
    const rng = this.#rng
    if (rng.chance(0.2)) return rng.pick(['evil', '', 'codemirror\u0000', `r${rng.int(3)}`])
    return rng.pick(this.#limits.rootTypes ?? ROOTS_OPEN)
  }

  #content(): Content {
    const rng = this.#rng
    const r = rng.next()
    if (r < 0.35) return { kind: 'string', text: rng.pick(WORDS).repeat(rng.range(1, 3)) }
    if (r < 0.6) {
      const typeRef = rng.int(7) as TypeRef
      return { kind: 'type', typeRef, name: rng.pick(['p', 'div', 'x']) }
    }
    if (r < 0.68) return { kind: 'deleted', length: rng.range(1, 5) }
    if (r < 0.76)
      return { kind: 'any', values: [rng.int(10), 'v', null, { a: [1] }].slice(0, rng.range(1, 4)) }
    if (r < 0.82)
      return { kind: 'json', values: [rng.int(10), undefined, 'j'].slice(0, rng.range(1, 3)) }
    if (r < 0.87) return { kind: 'binary', bytes: new Uint8Array([1, 2, rng.int(256)]) }
    if (r < 0.92) return { kind: 'embed', value: { image: 'e.png' } }
    if (r < 0.985)
      return {
        kind: 'format',
        key: rng.pick(['bold', 'italic']),
        value: rng.chance(0.5) ? true : null,
      }
    return {
      kind: 'doc',
      guid: `sub-${rng.int(1e6)}`,
      options: rng.pick([{}, { gc: false }, { autoLoad: true }, { meta: 'x' }]),
    }
  }

  /** A crafting client: new, or one of the crafted ones again; and the clock it writes at. */
  #author(): { client: number; clock: number } {
    const rng = this.#rng
    const known = [...this.#crafted.keys()]
    if (known.length > 0 && rng.chance(0.35)) {
      const client = rng.pick(known)
      const next = this.#crafted.get(client)!
      const r = rng.next()
      // Mostly where it left off; sometimes past a gap (its own clocks missing), or again
      // over clocks it already wrote.
      const clock = r < 0.8 ? next : r < 0.9 ? next + rng.range(1, 20) : rng.int(next + 1)
      return { client, clock }
    }
    if (rng.chance(0.05)) {
      // As the wild editor, right after what it has written.
      const client = this.#wild.doc.clientID
      return { client, clock: Y.getState(this.#wild.doc.store, client) }
    }
    const client = rng.chance(0.01) ? Number.MAX_SAFE_INTEGER - rng.int(10) : rng.client()
    return { client, clock: 0 }
  }

  #wrote(client: number, clock: number, length: number): void {
    this.#crafted.set(client, Math.max(this.#crafted.get(client) ?? 0, clock + length))
  }

  /** A neighbour for an item of `client` at `clock`: never one it is impossible to have. */
  #neighbour(client: number, clock: number, own: Id | null): Id | null {
    const rng = this.#rng
    const r = rng.next()
    let id: Id | null
    if (r < 0.45) id = this.#existing()?.id ?? null
    else if (r < 0.65) id = own
    else id = this.#missing()
    // validateUpdate refuses a neighbour its own client wrote at or after the item.
    if (id && id.client === client && id.clock >= clock) id = own
    return id
  }

  #craftedItems(): GeneratedUpdate[] {
    const rng = this.#rng
    const { client, clock } = this.#author()
    const structs: Struct[] = []
    let at = clock
    let own: Id | null =
      clock > 0 && this.#crafted.has(client) ? { client, clock: clock - 1 } : null
    const deletes: DeleteRange[] = []
    if (rng.chance(0.08)) {
      const length = rng.range(1, 4)
      structs.push({ kind: 'gc', length })
      at += length
    }
    const items = rng.range(1, 4)
    for (let k = 0; k < items; k++) {
      if (k > 0 && rng.chance(0.06)) {
        const length = rng.range(1, 5)
        structs.push({ kind: 'skip', length })
        at += length
        own = null
      }
      const content = this.#content()
      const mode = rng.next()
      let origin: Id | null = null
      let rightOrigin: Id | null = null
      let parent: Parent | null = null
      let parentSub: string | null = null
      if (mode < 0.5) {
        origin = this.#neighbour(client, at, own)
        if (rng.chance(0.4)) rightOrigin = this.#neighbour(client, at, null)
      } else if (mode < 0.6) {
        rightOrigin = this.#neighbour(client, at, null)
      }
      if (
        origin &&
        rightOrigin &&
        origin.client === rightOrigin.client &&
        origin.clock === rightOrigin.clock
      ) {
        rightOrigin = null
      }
      if (!origin && !rightOrigin) {
        const p = rng.next()
        if (p < 0.35) parent = { root: this.#root() }
        else if (p < 0.85) {
          const e = this.#existing()
          parent = e ? { id: e.id } : { root: this.#root() }
        } else parent = { id: this.#missing() }
        if (rng.chance(0.25)) parentSub = rng.pick(['k0', 'k1', 'title', ''])
      }
      structs.push({ kind: 'item', origin, rightOrigin, parent, parentSub, content })
      const length = contentLength(content)
      if (content.kind === 'type') {
        // Its depth if it lands where it says (a guess when its parent is not a type).
        const parentDepth =
          parent && 'id' in parent
            ? (this.#craftedTypes.find(
                (t) => t.id.client === parent.id.client && t.id.clock === parent.id.clock,
              )?.depth ?? 1)
            : 1
        this.#craftedTypes.push({ id: { client, clock: at }, depth: parentDepth + 1 })
        if (this.#craftedTypes.length > 200) this.#craftedTypes.shift()
      }
      own = { client, clock: at + length - 1 }
      at += length
    }
    if (rng.chance(0.25)) {
      // A few deletions: of its own items, of others', of clocks nobody has.
      for (let k = rng.range(1, 3); k > 0; k--) {
        const r = rng.next()
        const id =
          r < 0.4
            ? { client, clock: clock + rng.int(at - clock) }
            : r < 0.8
              ? this.#existing()?.id
              : this.#missing()
        if (id) deletes.push({ ...id, length: rng.range(0, 3) })
      }
    }
    this.#wrote(client, clock, at - clock)
    return [this.#crafted_('crafted items', { runs: [{ client, clock, structs }], deletes })]
  }

  #crafted_(kind: string, spec: UpdateSpec): GeneratedUpdate {
    return {
      sender: 'crafted',
      honest: false,
      kind,
      update: encodeUpdate(spec),
      step2: this.#rng.chance(0.15),
    }
  }

  /** A chain of nested types around the depth limit, under a root or an existing type. */
  #craftedChain(): GeneratedUpdate[] {
    const rng = this.#rng
    const max = this.#limits.maxTypeDepth
    const under = rng.chance(0.5) ? this.#existing() : null
    const base = under?.type ? under.depth : 1
    const parent: Parent = under?.type ? { id: under.id } : { root: this.#root() }
    const r = rng.next()
    const levels = Math.max(
      1,
      r < 0.005
        ? rng.range(2_000, 6_000)
        : r < 0.2
          ? rng.range(1, 3 * max)
          : max - base + rng.range(-1, 2),
    )
    const { client, clock } = this.#author()
    const typeRef = rng.pick([TypeRef.Array, TypeRef.Map, TypeRef.XmlElement, TypeRef.Text])
    const run = chainRun(levels, { client, clock, parent, typeRef })
    if (typeRef === TypeRef.Map) {
      // Map entries: each level under a key of the one before.
      run.structs = run.structs.map((s) => (s.kind === 'item' ? { ...s, parentSub: 'child' } : s))
    }
    this.#wrote(client, clock, levels)
    const innermost = { id: { client, clock: clock + levels - 1 }, depth: base + levels }
    if (levels < 4 * max) this.#craftedTypes.push(innermost)
    const out = [this.#crafted_('nested chain', { runs: [run], deletes: [] })]
    if (rng.chance(0.3)) {
      // Then delete its outermost level: Yjs deletes (and collects) the nested ones recursively.
      out.push(
        this.#crafted_('delete outermost', { runs: [], deletes: [{ client, clock, length: 1 }] }),
      )
    }
    return out
  }

  /** A delete set around the range limit: of a client that never wrote, or of known ones. */
  #craftedWideDeletes(): GeneratedUpdate[] {
    const rng = this.#rng
    const max = this.#limits.maxDeleteRanges
    const r = rng.next()
    const count = r < 0.01 ? rng.range(10 * max, 100 * max) : max + rng.range(-2, 2)
    const deletes: DeleteRange[] = []
    const known = this.#existing()
    const unknown = rng.chance(0.5)
    const client = unknown || !known ? rng.client() : known.id.client
    for (let k = 0; k < count; k++) {
      deletes.push({ client, clock: 2 * k, length: 1 })
    }
    return [
      this.#crafted_(unknown ? 'wide delete set (client never wrote)' : 'wide delete set', {
        runs: [],
        deletes,
      }),
    ]
  }

  /** Deletions of things that exist (types among them) or of clocks nobody has. */
  #craftedDeletes(): GeneratedUpdate[] {
    const rng = this.#rng
    const deletes: DeleteRange[] = []
    for (let k = rng.range(1, 4); k > 0; k--) {
      const id = rng.chance(0.7) ? this.#existing()?.id : this.#missing()
      if (id) deletes.push({ ...id, length: rng.range(1, 4) })
    }
    return [this.#crafted_('deletions', { runs: [], deletes })]
  }

  /**
   * Two updates where the first depends on the second: an item next to one its author writes
   * afterwards, or a run with a gap that the second fills. Delivered in the wrong order,
   * sometimes a wave apart.
   */
  #craftedPair(): GeneratedUpdate[] {
    const rng = this.#rng
    const writer = rng.client()
    const length = rng.range(1, 4)
    const first: UpdateSpec = {
      runs: [
        {
          client: writer,
          clock: 0,
          structs: [
            {
              kind: 'item',
              parent: { root: this.#root() },
              content: { kind: 'string', text: 'w'.repeat(length) },
            },
          ],
        },
      ],
      deletes: [],
    }
    this.#wrote(writer, 0, length)
    let dependent: UpdateSpec
    let kind: string
    if (rng.chance(0.5)) {
      kind = 'dangling origin, then what it names'
      const client = rng.client()
      dependent = {
        runs: [
          {
            client,
            clock: 0,
            structs: [
              {
                kind: 'item',
                origin: { client: writer, clock: length - 1 },
                content: { kind: 'string', text: 'd' },
              },
            ],
          },
        ],
        deletes: rng.chance(0.5) ? [{ client: writer, clock: 0, length }] : [],
      }
      this.#wrote(client, 0, 1)
    } else {
      kind = 'own clocks missing (Skip), then the gap'
      // The gap filler is `first` moved to after a head item; the dependent skips over it.
      const head: Struct = {
        kind: 'item',
        parent: { root: this.#root() },
        content: { kind: 'string', text: 'h' },
      }
      dependent = {
        runs: [
          {
            client: writer,
            clock: 0,
            structs: [
              head,
              { kind: 'skip', length },
              {
                kind: 'item',
                origin: { client: writer, clock: 0 },
                content: { kind: 'string', text: 't' },
              },
            ],
          },
        ],
        deletes: [],
      }
      first.runs[0] = {
        client: writer,
        clock: 1,
        structs: [
          {
            kind: 'item',
            origin: { client: writer, clock: 0 },
            content: { kind: 'string', text: 'w'.repeat(length) },
          },
        ],
      }
      this.#wrote(writer, 0, length + 2)
    }
    const a = this.#crafted_(`${kind} (first half)`, dependent)
    const b = this.#crafted_(`${kind} (second half)`, first)
    if (rng.chance(0.3)) {
      this.#later.push(b)
      return [a]
    }
    return [a, b]
  }

  #craftedCase(): GeneratedUpdate[] {
    const r = this.#rng.next()
    if (r < 0.45) return this.#craftedItems()
    if (r < 0.62) return this.#craftedChain()
    if (r < 0.72) return this.#craftedWideDeletes()
    if (r < 0.85) return this.#craftedDeletes()
    return this.#craftedPair()
  }
}

/** A Y type to insert, prelim (the editors' own nesting). */
function newType(rng: Rng, xml: boolean): AnyType {
  if (xml) return new Y.XmlElement(rng.pick(['p', 'li', 'div'])) as unknown as AnyType
  const r = rng.int(5)
  if (r === 0) return new Y.Map() as unknown as AnyType
  if (r === 1) return new Y.Array() as unknown as AnyType
  if (r === 2) return new Y.Text() as unknown as AnyType
  if (r === 3) return new Y.XmlElement('p') as unknown as AnyType
  return new Y.XmlFragment() as unknown as AnyType
}
