import { describe, expect, it } from 'vitest'
import { MemoryStore } from './storage'
import {
  type ColorSchemeQuery,
  effectiveTheme,
  readThemePreference,
  THEME_KEY,
  type Theme,
  ThemeStore,
  toggledPreference,
} from './theme'

class FakeQuery implements ColorSchemeQuery {
  readonly #listeners = new Set<() => void>()
  constructor(public matches: boolean) {}
  addEventListener(_type: 'change', listener: () => void) {
    this.#listeners.add(listener)
  }
  removeEventListener(_type: 'change', listener: () => void) {
    this.#listeners.delete(listener)
  }
  set(matches: boolean) {
    this.matches = matches
    for (const listener of this.#listeners) listener()
  }
}

describe('theme preference', () => {
  it('follows the system unless a theme was chosen', () => {
    expect(effectiveTheme('system', true)).toBe('dark')
    expect(effectiveTheme('system', false)).toBe('light')
    expect(effectiveTheme('light', true)).toBe('light')
  })

  it('toggles to the other theme, or back to following the system', () => {
    expect(toggledPreference('system', false)).toBe('dark')
    expect(toggledPreference('dark', false)).toBe('system')
    expect(toggledPreference('system', true)).toBe('light')
    expect(toggledPreference('light', true)).toBe('system')
  })

  it('reads only known values', () => {
    const store = new MemoryStore()
    expect(readThemePreference(store)).toBe('system')
    store.setItem(THEME_KEY, 'purple')
    expect(readThemePreference(store)).toBe('system')
    store.setItem(THEME_KEY, 'dark')
    expect(readThemePreference(store)).toBe('dark')
  })
})

describe('ThemeStore', () => {
  it('applies the theme, follows the system, and remembers a toggle', () => {
    const store = new MemoryStore()
    const query = new FakeQuery(false)
    const applied: Theme[] = []
    const themes = new ThemeStore(store, query, (theme) => applied.push(theme))
    let changes = 0
    themes.subscribe(() => changes++)
    expect(applied).toEqual(['light'])

    query.set(true)
    expect(themes.getSnapshot()).toEqual({ preference: 'system', theme: 'dark' })
    themes.toggle()
    expect(themes.getSnapshot()).toEqual({ preference: 'light', theme: 'light' })
    expect(store.getItem(THEME_KEY)).toBe('light')
    query.set(false)
    query.set(true)
    expect(themes.getSnapshot().theme).toBe('light')

    // A new page reads the choice back.
    expect(new ThemeStore(store, query, () => {}).getSnapshot().theme).toBe('light')

    themes.toggle()
    expect(themes.getSnapshot()).toEqual({ preference: 'system', theme: 'dark' })
    expect(store.getItem(THEME_KEY)).toBeNull()
    expect(applied).toEqual(['light', 'dark', 'light', 'dark'])
    expect(changes).toBe(3)
  })
})
