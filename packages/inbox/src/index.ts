export { createInboxSchema, handleOnce, type InboxOutcome } from './postgres-inbox';
export { applyIfNewer, applyNewestInBulk, type VersionedOutcome, type VersionedWrite } from './versioned-document';
