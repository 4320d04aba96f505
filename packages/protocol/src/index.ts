export type {
  AccessMode,
  ApiErrorJson,
  DeletedJson,
  DocumentJson,
  DocumentListJson,
  ImportedJson,
  NamedJson,
  RestoredJson,
  TokenClaims,
  TrashedDocumentJson,
  TrashListJson,
  VersionJson,
  VersionKind,
  VersionListJson,
  VersionTextJson,
} from './api.js'
export {
  type AttributedSpan,
  type AttributionAuthor,
  type AttributionRecord,
  attributeText,
  coalesceRecords,
  decodeRecords,
  encodeRecord,
  encodeRecords,
  type IdRanges,
  idsOfUpdate,
  normalizeRanges,
  Playback,
  rangesSize,
  subtractRanges,
} from './attribution.js'
export {
  type AwarenessEntry,
  decodeAwarenessUpdate,
  encodeAwarenessUpdate,
} from './awareness.js'
export { CloseCode, closeReason, isPermanentClose } from './close-codes.js'
export {
  type DocNameProblem,
  type DocNameResult,
  encodeDocName,
  parseDocName,
  validateDocName,
} from './doc-name.js'
export { ProtocolError, type ProtocolErrorKind } from './errors.js'
export {
  decodeHocuspocusFrame,
  encodeHocuspocusAuthenticated,
  encodeHocuspocusClose,
  encodeHocuspocusPermissionDenied,
  encodeHocuspocusStateless,
  encodeHocuspocusSyncStatus,
  encodeHocuspocusToken,
  encodeHocuspocusYjs,
  HOCUSPOCUS_PING,
  HOCUSPOCUS_PONG,
  HocuspocusAuth,
  type HocuspocusFrame,
  type HocuspocusMessage,
  type HocuspocusScope,
  HocuspocusType,
  parseHocuspocusAddress,
} from './hocuspocus.js'
export { defaultLimits, type Limits } from './limits.js'
export {
  AuthKind,
  decodeMessage,
  encodeAuthDenied,
  encodeAwareness,
  encodeQueryAwareness,
  encodeSaved,
  encodeSavedRequest,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  inspectUpdate,
  isUpdateFrame,
  type Message,
  MessageType,
  type StructInfo,
  StructKind,
  SyncStep,
  type UpdateVisitor,
  validateStateVector,
  validateUpdate,
  validateUpdateWithStateVector,
} from './messages.js'
export { MAX_NAME_QUERY_LENGTH, nameMatcher } from './name-filter.js'
export {
  DocStructure,
  type StructureRuns,
  type UpdateLimits,
  type Verdict,
} from './structure.js'
export { minimalEdit, replaceText, TEXT_NAME, type TextEdit } from './text.js'
