// Generated from schemas/ by packages/avro/src/codegen.ts — do not edit.
// After changing a schema or topics.json, run: npx tsx packages/avro/src/codegen.ts

/** The full current state of one product (event-carried state transfer). Keyed by product id on the compacted `products` topic; a deleted product is a tombstone (null value), so it has no schema. */
export interface ProductState {
  /** The product's id, also the record key. */
  id: number;
  /** Display name / description of the product. */
  description: string;
  /** Unit price in whole currency units (the seed prices are whole numbers). */
  price: number;
  /** Units in stock that are not reserved by an order. */
  qtyAvailable: number;
  /** Row version, incremented on every change; consumers ignore a state whose version is not newer than the one they hold. */
  version: number;
}

/** The full current state of one user (event-carried state transfer). Keyed by user id on the compacted `users` topic; a deleted user is a tombstone (null value), so it has no schema. */
export interface UserState {
  /** The user's id, also the record key. */
  id: number;
  /** Given name. */
  firstname: string;
  /** Family name. */
  lastname: string;
  /** Contact email address. */
  email: string;
  /** Row version, incremented on every change; consumers ignore a state whose version is not newer than the one they hold. */
  version: number;
}

/** Full name of every record type in the catalog. */
export type RecordName = 'dev.eventline.products.ProductState' | 'dev.eventline.users.UserState';

export const recordNames: readonly RecordName[] = ['dev.eventline.products.ProductState', 'dev.eventline.users.UserState'];

/** The TypeScript type of each record, by full name. */
export interface EventTypes {
  'dev.eventline.products.ProductState': ProductState;
  'dev.eventline.users.UserState': UserState;
}

/** Every topic of the catalog (each also has a dead-letter twin `<topic>.dlq`). */
export type TopicName = 'products' | 'users';

/** The record types allowed on each topic. */
export interface TopicRecords {
  'products': 'dev.eventline.products.ProductState';
  'users': 'dev.eventline.users.UserState';
}
