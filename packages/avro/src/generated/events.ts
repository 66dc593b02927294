// Generated from schemas/ by packages/avro/src/codegen.ts — do not edit.
// After changing a schema or topics.json, run: npm run codegen

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

/** Event notification: a field engineer checked in on a job. Thin on purpose (ids and status only); whoever needs more asks fulfillment-service. Keyed by order number on `job-checkins`. */
export interface JobCheckedIn {
  /** The check-in's id at fulfillment-service. */
  checkinId: string;
  /** The job's order number; also the record key. */
  orderNo: string;
  /** The customer's internet (line) number. */
  internetNo: string;
  /** Who checked in. */
  staffCode: string;
  /** The job's status at this check-in, e.g. homecheckedin. */
  jobStatus: string;
}

/** product-service could not reserve the order's units; nothing was taken. Keyed by order id on `inventory`. */
export interface StockRejected {
  /** The order; also the record key. */
  orderId: string;
  /** Why, e.g. which product is short. */
  reason: string;
}

/** product-service put a cancelled order's units back into qty_available. Keyed by order id on `inventory`. */
export interface StockReleased {
  /** The order; also the record key. */
  orderId: string;
  /** The units, per product. */
  lines: StockLine[];
}

/** Units of one product. */
export interface StockLine {
  /** The product. */
  productId: number;
  /** Units. */
  qty: number;
}

/** product-service took the order's units out of qty_available. Keyed by order id on `inventory`. */
export interface StockReserved {
  /** The order; also the record key. */
  orderId: string;
  /** The units, per product. */
  lines: StockLine[];
}

/** Stock was reserved for the order: it is approved. Keyed by order id on `orders`. */
export interface OrderApproved {
  /** The order; also the record key. */
  orderId: string;
}

/** An approved order was cancelled; its stock is to be released. Keyed by order id on `orders`. */
export interface OrderCancelled {
  /** The order; also the record key. */
  orderId: string;
}

/** An order was placed and waits for stock (the saga's first step). Keyed by order id on `orders`. */
export interface OrderPlaced {
  /** The order's id at order-service; also the record key. */
  orderId: string;
  /** Who ordered. */
  userId: number;
  /** What to reserve: every line or none. */
  lines: OrderLine[];
  /** The checked-out cart the order came from, if any. */
  cartId: string | null;
}

/** Units of one product. */
export interface OrderLine {
  /** The product. */
  productId: number;
  /** Units, at least 1. */
  qty: number;
}

/** The order could not be fulfilled (not enough stock, unknown product). Keyed by order id on `orders`. */
export interface OrderRejected {
  /** The order; also the record key. */
  orderId: string;
  /** Why, for people. */
  reason: string;
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
export type RecordName = 'dev.eventline.carts.CartCheckedOut' | 'dev.eventline.carts.CartDetails' | 'dev.eventline.carts.CartItemAdded' | 'dev.eventline.carts.CartItemRemoved' | 'dev.eventline.fulfillment.JobCheckedIn' | 'dev.eventline.inventory.StockRejected' | 'dev.eventline.inventory.StockReleased' | 'dev.eventline.inventory.StockReserved' | 'dev.eventline.orders.OrderApproved' | 'dev.eventline.orders.OrderCancelled' | 'dev.eventline.orders.OrderPlaced' | 'dev.eventline.orders.OrderRejected' | 'dev.eventline.products.ProductState' | 'dev.eventline.users.UserState';

export const recordNames: readonly RecordName[] = ['dev.eventline.carts.CartCheckedOut', 'dev.eventline.carts.CartDetails', 'dev.eventline.carts.CartItemAdded', 'dev.eventline.carts.CartItemRemoved', 'dev.eventline.fulfillment.JobCheckedIn', 'dev.eventline.inventory.StockRejected', 'dev.eventline.inventory.StockReleased', 'dev.eventline.inventory.StockReserved', 'dev.eventline.orders.OrderApproved', 'dev.eventline.orders.OrderCancelled', 'dev.eventline.orders.OrderPlaced', 'dev.eventline.orders.OrderRejected', 'dev.eventline.products.ProductState', 'dev.eventline.users.UserState'];

/** The TypeScript type of each record, by full name. */
export interface EventTypes {
  'dev.eventline.carts.CartCheckedOut': CartCheckedOut;
  'dev.eventline.carts.CartDetails': CartDetails;
  'dev.eventline.carts.CartItemAdded': CartItemAdded;
  'dev.eventline.carts.CartItemRemoved': CartItemRemoved;
  'dev.eventline.fulfillment.JobCheckedIn': JobCheckedIn;
  'dev.eventline.inventory.StockRejected': StockRejected;
  'dev.eventline.inventory.StockReleased': StockReleased;
  'dev.eventline.inventory.StockReserved': StockReserved;
  'dev.eventline.orders.OrderApproved': OrderApproved;
  'dev.eventline.orders.OrderCancelled': OrderCancelled;
  'dev.eventline.orders.OrderPlaced': OrderPlaced;
  'dev.eventline.orders.OrderRejected': OrderRejected;
  'dev.eventline.products.ProductState': ProductState;
  'dev.eventline.users.UserState': UserState;
}

/** Every topic of the catalog (each also has a dead-letter twin `<topic>.dlq`). */
export type TopicName = 'cart-aggregator.changelog' | 'cart-details' | 'cart-events' | 'inventory' | 'job-checkins' | 'orders' | 'products' | 'users';

/** The record types allowed on each topic. */
export interface TopicRecords {
  'cart-aggregator.changelog': 'dev.eventline.carts.CartDetails';
  'cart-details': 'dev.eventline.carts.CartDetails';
  'cart-events': 'dev.eventline.carts.CartItemAdded' | 'dev.eventline.carts.CartItemRemoved' | 'dev.eventline.carts.CartCheckedOut';
  'inventory': 'dev.eventline.inventory.StockReserved' | 'dev.eventline.inventory.StockRejected' | 'dev.eventline.inventory.StockReleased';
  'job-checkins': 'dev.eventline.fulfillment.JobCheckedIn';
  'orders': 'dev.eventline.orders.OrderPlaced' | 'dev.eventline.orders.OrderApproved' | 'dev.eventline.orders.OrderRejected' | 'dev.eventline.orders.OrderCancelled';
  'products': 'dev.eventline.products.ProductState';
  'users': 'dev.eventline.users.UserState';
}
