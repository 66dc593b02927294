export { createInboxSchema, handleBatchOnce, handleOnce, type BatchOutcome, type InboxOutcome } from './postgres-inbox';
export { applyIfNewer, applyNewestInBulk, type VersionedOutcome, type VersionedWrite } from './versioned-document';
