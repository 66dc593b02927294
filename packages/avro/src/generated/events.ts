// Generated from schemas/ by packages/avro/src/codegen.ts — do not edit.
// After changing a schema or topics.json, run: npx tsx packages/avro/src/codegen.ts

/** A customer checked their cart out: the cart is closed, and its lines are what is ordered. Keyed by customer id on `cart-events`. */
export interface CartCheckedOut {
  /** The customer whose cart it is; also the record key. */
  customerId: string;
  /** The cart that was checked out. */
  cartId: string;
  /** The items and quantities in the cart at checkout. */
  lines: CheckedOutLine[];
  /** Position of this event in the customer's event stream. */
  version: number;
}

/** One item of a checked-out cart. */
export interface CheckedOutLine {
  /** The product id. */
  itemId: string;
  /** Units of it. */
  qty: number;
}

/** A customer's current cart, priced with the products it names (the aggregation of `cart-events` joined with `products`). Keyed by customer id on the compacted `cart-details` topic, and the cart aggregator's own state on its changelog. */
export interface CartDetails {
  /** The customer; also the record key. */
  customerId: string;
  /** The customer's current cart. */
  cartId: string;
  /** Whether the cart is still open. */
  status: CartStatus;
  /** One line per item with units in the cart, in the order the items were first added. */
  lines: CartLine[];
  /** The sum of the line totals. */
  total: number;
  /** Stream version of the last cart event folded in; readers keep only newer states. */
  version: number;
}

/** OPEN until checkout. */
export type CartStatus = 'OPEN' | 'CHECKED_OUT';

/** One item of the cart, priced. */
export interface CartLine {
  /** The product id. */
  itemId: string;
  /** The product's description from the products topic. */
  productName: string;
  /** The product's price when the line last changed. */
  unitPrice: number;
  /** Units in the cart. */
  qty: number;
  /** unitPrice × qty. */
  lineTotal: number;
}

/** A customer put units of an item into their open cart (event sourcing: the cart is the fold of these events). Keyed by customer id on `cart-events`. */
export interface CartItemAdded {
  /** The customer whose cart it is; also the record key. */
  customerId: string;
  /** The cart the event belongs to: <customerId>-<n>; a checkout closes cart n and the next add opens n+1. */
  cartId: string;
  /** The product id, as the cart API takes it. */
  itemId: string;
  /** Units added, at least 1. */
  qty: number;
  /** Position of this event in the customer's event stream (1, 2, ...). */
  version: number;
}

/** A customer took units of an item out of their open cart. Keyed by customer id on `cart-events`. */
export interface CartItemRemoved {
  /** The customer whose cart it is; also the record key. */
  customerId: string;
  /** The cart the event belongs to. */
  cartId: string;
  /** The product id. */
  itemId: string;
  /** Units removed, at least 1 and at most what the cart held. */
  qty: number;
  /** Position of this event in the customer's event stream. */
  version: number;
}

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
export type RecordName = 'dev.eventline.carts.CartCheckedOut' | 'dev.eventline.carts.CartDetails' | 'dev.eventline.carts.CartItemAdded' | 'dev.eventline.carts.CartItemRemoved' | 'dev.eventline.products.ProductState' | 'dev.eventline.users.UserState';

export const recordNames: readonly RecordName[] = ['dev.eventline.carts.CartCheckedOut', 'dev.eventline.carts.CartDetails', 'dev.eventline.carts.CartItemAdded', 'dev.eventline.carts.CartItemRemoved', 'dev.eventline.products.ProductState', 'dev.eventline.users.UserState'];

/** The TypeScript type of each record, by full name. */
export interface EventTypes {
  'dev.eventline.carts.CartCheckedOut': CartCheckedOut;
  'dev.eventline.carts.CartDetails': CartDetails;
  'dev.eventline.carts.CartItemAdded': CartItemAdded;
  'dev.eventline.carts.CartItemRemoved': CartItemRemoved;
  'dev.eventline.products.ProductState': ProductState;
  'dev.eventline.users.UserState': UserState;
}

/** Every topic of the catalog (each also has a dead-letter twin `<topic>.dlq`). */
export type TopicName = 'cart-aggregator.changelog' | 'cart-details' | 'cart-events' | 'products' | 'users';

/** The record types allowed on each topic. */
export interface TopicRecords {
  'cart-aggregator.changelog': 'dev.eventline.carts.CartDetails';
  'cart-details': 'dev.eventline.carts.CartDetails';
  'cart-events': 'dev.eventline.carts.CartItemAdded' | 'dev.eventline.carts.CartItemRemoved' | 'dev.eventline.carts.CartCheckedOut';
  'products': 'dev.eventline.products.ProductState';
  'users': 'dev.eventline.users.UserState';
}
