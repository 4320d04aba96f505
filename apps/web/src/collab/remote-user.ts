import { colorForClientId, lightColor } from '../lib/identity'

/**
 * A colour that has been checked to be `#rrggbb` (or `#rrggbbaa` for a light variant made from
 * one): the only kind of value the app writes into a style. Made by {@link remoteUser} and
 * {@link hexColor}, never by a cast elsewhere.
 */
export type HexColor = string & { readonly __hexColor: true }

/** How someone with the document open is shown, from their awareness state, made safe. */
export interface RemoteUser {
  /** Plain text, 1 to {@link MAX_REMOTE_NAME_CODE_POINTS} code points, no control characters. */
  readonly name: string
  /** `#rrggbb`, lower case. */
  readonly color: HexColor
  /** The translucent selection colour derived from `color` (`#rrggbb33`). */
  readonly colorLight: HexColor
  /** Whether the server vouches for the name (a token's; the server sets `user.verified`). */
  readonly verified: boolean
}

/** The longest name shown for someone, in code points. */
export const MAX_REMOTE_NAME_CODE_POINTS = 64
/** The name of someone who publishes no usable name. */
export const ANONYMOUS = 'Anonymous'

/** UTF-16 units of a name read at most: longer input is cut before it is cleaned. */
const MAX_NAME_INPUT_UNITS = 1_024
const COLOR = /^#[0-9a-f]{6}$/i
const SPACES = /\s+/gu
/** Control and format characters: bidi overrides and isolates, zero-width characters, BOM. */
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu

/** `value` as a {@link HexColor} if it is `#rrggbb`, in lower case; otherwise `null`. */
export function hexColor(value: unknown): HexColor | null {
  return typeof value === 'string' && COLOR.test(value) ? (value.toLowerCase() as HexColor) : null
}

/**
 * A name from someone else's awareness state as plain text that can be shown anywhere: runs of
 * white space become one space, control and format characters (\p{Cc}, \p{Cf}: bidi controls,
 * zero-width characters) are removed, it is trimmed and cut to
 * {@link MAX_REMOTE_NAME_CODE_POINTS} code points; {@link ANONYMOUS} when nothing is left or it
 * is not a string.
 */
export function remoteDisplayName(value: unknown): string {
  if (typeof value !== 'string') return ANONYMOUS
  const cleaned = value
    .slice(0, MAX_NAME_INPUT_UNITS)
    .replace(SPACES, ' ')
    .replace(INVISIBLE, '')
    .replace(SPACES, ' ')
    .trim()
  const name = [...cleaned].slice(0, MAX_REMOTE_NAME_CODE_POINTS).join('').trimEnd()
  return name === '' ? ANONYMOUS : name
}

/**
 * How the client `clientId` is shown, from its awareness `state`: `user.name` through
 * {@link remoteDisplayName}, `user.color` if it is `#rrggbb` or else a palette colour derived
 * from the client id, and whether `user.verified` is `true` (only the server sets it).
 * `user.colorLight` and every other field are never read: the light variant is derived from
 * the checked colour.
 */
export function remoteUser(clientId: number, state: unknown): RemoteUser {
  const user =
    typeof state === 'object' && state !== null ? (state as { user?: unknown }).user : undefined
  const fields =
    typeof user === 'object' && user !== null
      ? (user as { name?: unknown; color?: unknown; verified?: unknown })
      : {}
  const color = hexColor(fields.color) ?? (colorForClientId(clientId) as HexColor)
  return {
    name: remoteDisplayName(fields.name),
    color,
    colorLight: lightColor(color) as HexColor,
    verified: fields.verified === true,
  }
}

/**
 * `name` wrapped in first-strong isolate … pop directional isolate (U+2068, U+2069), for text
 * that cannot hold a `<bdi>` (a `title`, an `aria-label`): a right-to-left name then cannot
 * reorder the words around it.
 */
export function isolated(name: string): string {
  return `\u2068${name}\u2069`
}
