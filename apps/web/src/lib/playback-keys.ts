/**
 * The step a key moves the playback's slider to from `step` (steps -1, the start, to `last`):
 * arrows one step, Page Up and Page Down a tenth of the history (10 steps at least), Home and
 * End to either end; `null` for a key it does not handle.
 */
export function stepForKey(key: string, step: number, last: number): number | null {
  const page = Math.max(10, Math.round((last + 2) / 10))
  const clamp = (value: number) => Math.min(last, Math.max(-1, value))
  switch (key) {
    case 'ArrowRight':
    case 'ArrowUp':
      return clamp(step + 1)
    case 'ArrowLeft':
    case 'ArrowDown':
      return clamp(step - 1)
    case 'PageUp':
      return clamp(step + page)
    case 'PageDown':
      return clamp(step - page)
    case 'Home':
      return -1
    case 'End':
      return last
    default:
      return null
  }
}
