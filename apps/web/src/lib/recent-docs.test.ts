import { describe, expect, it } from 'vitest'
import {
  describeAge,
  forgetDoc,
  MAX_RECENT_DOCS,
  RECENT_DOCS_KEY,
  readRecentDocs,
  rememberDoc,
} from './recent-docs'
import { MemoryStore } from './storage'

const names = (store: MemoryStore) => readRecentDocs(store).map((doc) => doc.name)

describe('recent documents', () => {
  it('keeps the token a document was opened with, until it is opened without one', () => {
    const store = new MemoryStore()
    rememberDoc(store, 'shared', 1_000, 'view.token.sig')
    expect(readRecentDocs(store)).toEqual([
      { name: 'shared', openedAtMs: 1_000, token: 'view.token.sig' },
    ])
    rememberDoc(store, 'shared', 2_000)
    expect(readRecentDocs(store)).toEqual([{ name: 'shared', openedAtMs: 2_000 }])
    expect(readRecentDocs(store)[0]).not.toHaveProperty('token')
  })

  it('starts empty', () => {
    expect(readRecentDocs(new MemoryStore())).toEqual([])
  })

  it('lists the most recently opened first', () => {
    const store = new MemoryStore()
    rememberDoc(store, 'first', 1_000)
    rememberDoc(store, 'second', 2_000)
    rememberDoc(store, 'third', 3_000)
    expect(readRecentDocs(store)).toEqual([
      { name: 'third', openedAtMs: 3_000 },
      { name: 'second', openedAtMs: 2_000 },
      { name: 'first', openedAtMs: 1_000 },
    ])
  })

  it('lists a document once, moving it to the top when reopened', () => {
    const store = new MemoryStore()
    rememberDoc(store, 'a', 1_000)
    rememberDoc(store, 'b', 2_000)
    rememberDoc(store, 'a', 3_000)
    expect(readRecentDocs(store)).toEqual([
      { name: 'a', openedAtMs: 3_000 },
      { name: 'b', openedAtMs: 2_000 },
    ])
  })

  it(`keeps only the ${MAX_RECENT_DOCS} most recent`, () => {
    const store = new MemoryStore()
    for (let i = 0; i < MAX_RECENT_DOCS + 5; i++) rememberDoc(store, `doc-${i}`, i)
    const kept = names(store)
    expect(kept).toHaveLength(MAX_RECENT_DOCS)
    expect(kept[0]).toBe(`doc-${MAX_RECENT_DOCS + 4}`)
    expect(kept.at(-1)).toBe('doc-5')
  })

  it('returns the new list from rememberDoc and forgetDoc', () => {
    const store = new MemoryStore()
    rememberDoc(store, 'a', 1)
    expect(rememberDoc(store, 'b', 2).map((doc) => doc.name)).toEqual(['b', 'a'])
    expect(forgetDoc(store, 'b')).toEqual([{ name: 'a', openedAtMs: 1 }])
    expect(names(store)).toEqual(['a'])
  })

  it('keeps names with slashes, spaces and accents intact', () => {
    const store = new MemoryStore()
    rememberDoc(store, 'team/plans 2025', 1)
    rememberDoc(store, 'café notes', 2)
    expect(names(store)).toEqual(['café notes', 'team/plans 2025'])
  })

  it('skips stored entries that are not valid documents and sorts what is left', () => {
    const store = new MemoryStore()
    store.setItem(
      RECENT_DOCS_KEY,
      JSON.stringify([
        { name: 'older', openedAtMs: 1 },
        { name: 'bad?name', openedAtMs: 5 },
        { name: '', openedAtMs: 5 },
        { name: 'no-time' },
        { name: 'newer', openedAtMs: 9 },
        { name: 'newer', openedAtMs: 2 },
        'just a string',
        null,
      ]),
    )
    expect(readRecentDocs(store)).toEqual([
      { name: 'newer', openedAtMs: 9 },
      { name: 'older', openedAtMs: 1 },
    ])
  })

  it('treats unreadable storage as an empty list and recovers on the next write', () => {
    const store = new MemoryStore()
    store.setItem(RECENT_DOCS_KEY, 'not json')
    expect(readRecentDocs(store)).toEqual([])
    rememberDoc(store, 'fresh', 1)
    expect(names(store)).toEqual(['fresh'])
  })

  it('keeps working when the store refuses writes', () => {
    const store = new MemoryStore()
    rememberDoc(store, 'kept', 1)
    store.setItem = () => {
      throw new DOMException('full', 'QuotaExceededError')
    }
    expect(rememberDoc(store, 'new', 2).map((doc) => doc.name)).toEqual(['new', 'kept'])
    expect(names(store)).toEqual(['kept'])
  })
})

describe('describeAge', () => {
  const now = Date.UTC(2025, 5, 15, 12)
  it('says how long ago in the largest sensible unit', () => {
    expect(describeAge(now - 10_000, now, 'en')).toBe('just now')
    expect(describeAge(now - 5 * 60_000, now, 'en')).toBe('5 minutes ago')
    expect(describeAge(now - 3 * 3600_000, now, 'en')).toBe('3 hours ago')
    expect(describeAge(now - 24 * 3600_000, now, 'en')).toBe('yesterday')
    expect(describeAge(now - 14 * 24 * 3600_000, now, 'en')).toBe('2 weeks ago')
    expect(describeAge(now + 60_000, now, 'en')).toBe('just now')
  })
})
