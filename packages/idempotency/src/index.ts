export { idempotencyKeys, REPLAYED_HEADER, type IdempotencyOptions } from './middleware';
export { parseIdempotencyKey, requestFingerprint, InvalidIdempotencyKey, IDEMPOTENCY_KEY_HEADER } from './key';
export { judgeHeldKey, type IdempotencyStore, type Begun, type KeyTimings, type StoredResponse, type HeldKey } from './store';
export { PostgresIdempotencyStore } from './postgres-store';
export { MongoIdempotencyStore } from './mongo-store';
export { idempotencyClaim, jsonResponse, pushRecordedResponse, recordedResponse, RECORDED_RESPONSES, type IdempotencyClaim, type RecordedResponse } from './claim';
