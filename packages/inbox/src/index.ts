export { createInboxSchema, handleOnce, type InboxOutcome } from './postgres-inbox';
export { applyIfNewer, type VersionedOutcome } from './versioned-document';
