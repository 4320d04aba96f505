import type { KeyValueStore } from './storage'

/** What the page looks like. */
export type Theme = 'light' | 'dark'

/** What the user chose: a theme, or whatever the system uses. */
export type ThemePreference = Theme | 'system'

export const THEME_KEY = 'tandem:theme'

/** The stored preference; `system` when nothing (or nothing readable) is stored. */
export function readThemePreference(store: KeyValueStore): ThemePreference {
  let stored: string | null = null
  try {
    stored = store.getItem(THEME_KEY)
  } catch {
    stored = null
  }
  return stored === 'light' || stored === 'dark' ? stored : 'system'
}

/** The theme shown for `preference` while the system prefers dark (`systemDark`) or not. */
export function effectiveTheme(preference: ThemePreference, systemDark: boolean): Theme {
  if (preference !== 'system') return preference
  return systemDark ? 'dark' : 'light'
}

/**
 * The preference after the toggle is pressed: the other theme than the one shown, kept as a
 * choice, unless it is the system's own theme, in which case the page follows the system again.
 */
export function toggledPreference(
  preference: ThemePreference,
  systemDark: boolean,
): ThemePreference {
  const next: Theme = effectiveTheme(preference, systemDark) === 'dark' ? 'light' : 'dark'
  return next === (systemDark ? 'dark' : 'light') ? 'system' : next
}

/** The part of `MediaQueryList` the theme follows. */
export interface ColorSchemeQuery {
  readonly matches: boolean
  addEventListener(type: 'change', listener: () => void): void
  removeEventListener(type: 'change', listener: () => void): void
}

export interface ThemeSnapshot {
  readonly preference: ThemePreference
  readonly theme: Theme
}

/**
 * The page's theme: the stored preference and the system's colour scheme, observable for
 * `useSyncExternalStore`. `apply` puts the theme on the page (`<html data-theme>`); it runs at
 * once and on every change.
 */
export class ThemeStore {
  readonly #store: KeyValueStore
  readonly #query: ColorSchemeQuery
  readonly #apply: (theme: Theme) => void
  readonly #listeners = new Set<() => void>()
  #snapshot: ThemeSnapshot

  constructor(store: KeyValueStore, query: ColorSchemeQuery, apply: (theme: Theme) => void) {
    this.#store = store
    this.#query = query
    this.#apply = apply
    this.#snapshot = this.#derive(readThemePreference(store))
    apply(this.#snapshot.theme)
    query.addEventListener('change', this.#refresh)
  }

  readonly getSnapshot = (): ThemeSnapshot => this.#snapshot

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Switches to the other theme and remembers the choice. */
  toggle(): void {
    const next = toggledPreference(this.#snapshot.preference, this.#query.matches)
    try {
      if (next === 'system') this.#store.removeItem(THEME_KEY)
      else this.#store.setItem(THEME_KEY, next)
    } catch {
      // Not remembered (storage refused); the page still switches.
    }
    this.#set(next)
  }

  /** Re-reads the stored preference (another tab may have changed it). */
  reload(): void {
    this.#set(readThemePreference(this.#store))
  }

  readonly #refresh = (): void => this.#set(this.#snapshot.preference)

  #derive(preference: ThemePreference): ThemeSnapshot {
    return { preference, theme: effectiveTheme(preference, this.#query.matches) }
  }

  #set(preference: ThemePreference): void {
    const next = this.#derive(preference)
    if (next.preference === this.#snapshot.preference && next.theme === this.#snapshot.theme) return
    this.#snapshot = next
    this.#apply(next.theme)
    for (const listener of [...this.#listeners]) listener()
  }
}
