import { filePath } from '@tandem/protocol'

/**
 * Where this page fetches file `hash` of document `doc`: the API's address, with the page's
 * token as `?token=` (an `<img>` cannot send `Authorization`). The text itself never holds a
 * token: any document's file address in it is shown as this document's file.
 */
export function fileAddress(
  apiUrl: string,
  doc: string,
  token: string | null,
): (hash: string) => string {
  const query = token ? `?token=${encodeURIComponent(token)}` : ''
  return (hash) => `${apiUrl}${filePath(doc, hash)}${query}`
}
