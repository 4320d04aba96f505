/**
 * The tab title of a document page: its name and how many people have it open (you included),
 * e.g. `notes · 3 here · Tandem`.
 */
export function docTitle(name: string, peopleHere: number): string {
  return peopleHere > 0 ? `${name} · ${peopleHere} here · Tandem` : `${name} · Tandem`
}
