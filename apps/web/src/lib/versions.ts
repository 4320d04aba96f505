import type { Version, VersionKind } from './history-api'

/** Why a version was kept, in words. */
export const kindLabels: Record<VersionKind, string> = {
  auto: 'Autosaved',
  named: 'Named version',
  restore: 'Before a restore',
  import: 'Before an import',
}

/** What a version is called in the list: its name, else why it was kept. */
export function versionTitle(version: Version): string {
  return version.label ?? kindLabels[version.kind]
}
