// The contracts the server and the web app share beyond the wire protocol: what a token grants,
// and the JSON of the HTTP API (docs/API.md). Types only.

/** What a request may do with a document. */
export type AccessMode = 'view' | 'edit'

/** What a token grants: the claims of a Tandem token (JWT, HS256, issuer `tandem`) besides `exp`. */
export interface TokenClaims {
  /**
   * The document it opens, exactly, or the documents under `prefix`, matched by whole path
   * segments: `team` opens `team` and `team/notes`, not `teammate`. An empty prefix is refused
   * (the admin key is the way to reach every document).
   */
  doc?: string
  prefix?: string
  mode: AccessMode
  /**
   * The stable subject: who the token's holder is, the same in every token of one person (an
   * account id, an email address). Presence ownership and per-token budgets key on it; a token
   * without one is its own subject.
   */
  sub?: string
  /** Display name and colour the server stamps into this user's presence. */
  name?: string
  color?: string
  /**
   * The id of a share link (`POST /api/docs/{name}/links`): the server records it, lists it
   * and can revoke it. Tokens without one (minted by the CLI) cannot be revoked.
   */
  jti?: string
}

/** Every error answer of the API: `error` is stable, `message` is for people. */
export interface ApiErrorJson {
  error: string
  message: string
}

/** One document of `GET /api/docs`. */
export interface DocumentJson {
  name: string
  /** ISO 8601. */
  updatedAt: string
  /** Snapshot plus uncompacted updates, in bytes (versions not counted). */
  storedBytes: number
  /** Open connections to it on the server that answered. */
  connected: number
}

/** A page of `GET /api/docs`: documents by name (code-point order). */
export interface DocumentListJson {
  documents: DocumentJson[]
  /**
   * Pass as `cursor` for the next page; `null` after the last (a full page may be the last).
   * With `q`, a page may hold fewer documents than `limit`, even none, and still have a next one.
   */
  nextCursor: string | null
  /** With `q`: how many names the server read for this page (at most 5,000). */
  scanned?: number
}

/** `DELETE /api/docs/{name}`. */
export interface DeletedJson {
  ok: true
  name: string
  /** ISO 8601. */
  deletedAt: string
  /** When it is deleted for good, ISO 8601. */
  purgeAt: string
  /** Days it stays in the trash, restorable. */
  retentionDays: number
}

/** One deleted document of `GET /api/trash`. */
export interface TrashedDocumentJson {
  name: string
  deletedAt: string
  purgeAt: string
  updatedAt: string
  storedBytes: number
}

/** `GET /api/trash`, most recently deleted first. */
export interface TrashListJson {
  documents: TrashedDocumentJson[]
}

/** `POST /api/docs/{name}/rename` and `POST /api/trash/{name}/restore`: the document's name now. */
export interface NamedJson {
  ok: true
  name: string
}

/** Why a version was kept. */
export type VersionKind = 'auto' | 'named' | 'restore' | 'import'

/** A version as the API shows it. */
export interface VersionJson {
  id: number
  /** ISO 8601. */
  createdAt: string
  kind: VersionKind
  /** The name given when it was saved, if any. */
  label: string | null
  /** Display names of the people who were editing. */
  authors: string[]
  /** Length of its text, in UTF-16 code units. */
  textLength: number
  /**
   * In a version list: who changed the document since the previous version (after it, up to
   * this one), by the server's attribution (SPEC B6); empty where nothing was recorded.
   */
  changedBy?: { id: number; name: string; verified: boolean; color?: string }[]
}

/** `GET /api/docs/{name}/versions`, newest first. */
export interface VersionListJson {
  versions: VersionJson[]
}

/** `GET /api/docs/{name}/versions/{id}`. */
export interface VersionTextJson {
  version: VersionJson
  text: string
}

/** `POST /api/docs/{name}/versions/{id}/restore`: the version saved of the text before. */
export interface RestoredJson {
  ok: true
  version: VersionJson
  textLength: number
}

/** `PUT /api/docs/{name}/text`: the version saved of the text before, if there was text. */
export interface ImportedJson {
  ok: true
  textLength: number
  version: VersionJson | null
}
