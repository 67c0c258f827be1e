// The audit trail's public surface: the file-based AuditSink, its signing-key loaders, and the
// verify / list / format functions `sealmq audit verify` and `sealmq audit list` call.
export {
  FileAuditTrail,
  AuditTrailError,
  AUDIT_DIGEST_INTERVAL_DEFAULT_MS,
  AUDIT_LOG_FILE_MAX_BYTES_DEFAULT,
  AUDIT_QUEUE_MAX_EVENTS_DEFAULT,
  AUDIT_EVENT_SIZE_MAX_BYTES_DEFAULT,
  type AuditTrailOptions,
  type SealResult,
} from './audit-trail.ts';
export {
  fileSigningKeyLoader,
  sealedFileSigningKeyLoader,
  staticSigningKeyLoader,
  generateSigningKey,
  AUDIT_SIGNING_KEY_PURPOSE,
  type AuditSigningKeyLoader,
} from './signing-key.ts';
export {
  verifyAuditTrail,
  formatVerifyReport,
  AuditFindingKind,
  type AuditFinding,
  type AuditVerifyReport,
  type VerifyAuditTrailOptions,
} from './verify.ts';
export { listAuditEvents, type ListAuditEventsOptions, type ListAuditEventsResult, type ListedAuditEvent } from './list.ts';
export { publicKeyFingerprint, type TrailHead, type DigestFile, type SignatureAlgorithm } from './trail-format.ts';
export {
  runAuditVerify,
  runAuditList,
  type AuditCommandResult,
  type AuditVerifyCommandOptions,
  type AuditListCommandOptions,
} from './audit-commands.ts';
