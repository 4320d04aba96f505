/**
 * Splitting a long Markdown text into parts that render on their own as they would in the whole,
 * so that the preview of a document of megabytes renders a part at a time and, after an edit,
 * only the part that changed.
 *
 * A part ends at a blank line that is followed by a line starting a new top-level block (not
 * indented, not a list item or quote that could continue what came before), outside fenced
 * code, once it holds at least `partChars` characters. Link reference definitions anywhere in
 * the text are appended to every part, so a reference resolves wherever it is.
 */

const FENCE = /^ {0,3}(`{3,}|~{3,})/
const DEFINITION = /^ {0,3}\[[^\]\n]+\]:[ \t]*\S/
/** A line that may continue the block before a blank line: indented, a list item, a quote. */
const CONTINUES = /^(?:[ \t]|[-*+][ \t]|\d{1,9}[.)][ \t]|>)/

/** The parts of `text`, in order; joined they are `text`. */
export function splitMarkdown(text: string, partChars: number): string[] {
  if (text.length <= partChars) return [text]
  const parts: string[] = []
  let start = 0
  let fence: string | null = null
  let previousBlank = false
  let lineStart = 0
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart)
    if (lineEnd === -1) lineEnd = text.length
    const line = text.slice(lineStart, lineEnd)
    const opener = FENCE.exec(line)?.[1]
    if (fence === null) {
      if (
        previousBlank &&
        lineStart - start >= partChars &&
        line.length > 0 &&
        !CONTINUES.test(line)
      ) {
        parts.push(text.slice(start, lineStart))
        start = lineStart
      }
      if (opener !== undefined) fence = opener
    } else if (opener !== undefined && opener[0] === fence[0] && opener.length >= fence.length) {
      fence = null
    }
    previousBlank = line.trim() === ''
    lineStart = lineEnd + 1
  }
  parts.push(text.slice(start))
  return parts
}

/** The link reference definitions of `text`, one a line (empty if it has none). */
export function linkDefinitions(text: string): string {
  // Only lines with `]:` can be one; finding those first is much faster on a long text.
  const found: string[] = []
  for (let at = text.indexOf(']:'); at !== -1; ) {
    const start = text.lastIndexOf('\n', at) + 1
    let end = text.indexOf('\n', at)
    if (end === -1) end = text.length
    const line = text.slice(start, end)
    if (DEFINITION.test(line)) found.push(line)
    at = text.indexOf(']:', end)
  }
  return found.join('\n')
}
