import { useServices } from '../app/services'
import { useTheme } from '../hooks/useTheme'

/** Switches between the light and the dark theme; the choice is remembered in this browser. */
export function ThemeToggle() {
  const { theme: store } = useServices()
  const { theme, preference } = useTheme(store)
  const next = theme === 'dark' ? 'light' : 'dark'
  return (
    <button
      type="button"
      className="button subtle theme-toggle"
      data-testid="theme-toggle"
      data-theme={theme}
      data-preference={preference}
      aria-label={`Switch to the ${next} theme`}
      title={
        preference === 'system'
          ? `Following the system (${theme}); switch to the ${next} theme`
          : `Switch to the ${next} theme`
      }
      onClick={() => store.toggle()}
    >
      <span aria-hidden="true" className="theme-icon">
        {theme === 'dark' ? '☾' : '☀'}
      </span>
    </button>
  )
}
