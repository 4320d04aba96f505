import { describe, expect, it } from 'vitest'
import { MemoryStore, readJson, writeJson } from './storage'

describe('MemoryStore', () => {
  it('behaves like Web Storage for get, set and remove', () => {
    const store = new MemoryStore()
    expect(store.getItem('k')).toBeNull()
    store.setItem('k', 'v')
    expect(store.getItem('k')).toBe('v')
    store.removeItem('k')
    expect(store.getItem('k')).toBeNull()
  })
})

describe('readJson / writeJson', () => {
  it('round-trips values and reads garbage as undefined', () => {
    const store = new MemoryStore()
    expect(writeJson(store, 'k', { a: [1, 'b'] })).toBe(true)
    expect(readJson(store, 'k')).toEqual({ a: [1, 'b'] })
    store.setItem('k', '{')
    expect(readJson(store, 'k')).toBeUndefined()
    expect(readJson(store, 'missing')).toBeUndefined()
  })
})
