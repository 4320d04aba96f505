import { type DocNameProblem, defaultLimits } from '@tandem/protocol'
import { integerBetween, pick, type Random } from './random'
import { adjectives, animals } from './words'

/** A readable random document name such as `brave-otter-42`. */
export function randomDocName(random: Random = Math.random): string {
  return `${pick(adjectives, random)}-${pick(animals, random)}-${integerBetween(10, 99, random)}`
}

/** A sentence telling the user why a document name was refused. */
export function describeDocNameProblem(problem: DocNameProblem): string {
  switch (problem) {
    case 'empty':
      return 'Enter a name for the document.'
    case 'too-long':
      return `A name can be at most ${defaultLimits.maxDocNameChars} characters long.`
    case 'bad-encoding':
      return 'The name contains characters that cannot be used in a link.'
    case 'control-character':
      return 'A name cannot contain line breaks or other control characters.'
    case 'format-character':
      return 'A name cannot contain invisible formatting characters (such as zero-width spaces or text-direction marks).'
    case 'reserved-character':
      return 'A name cannot contain ?, #, % or \\.'
    case 'bad-segment':
      return 'Each part between slashes must be non-empty, must not be "." or "..", and must not start or end with a space.'
  }
}
