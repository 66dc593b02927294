import { createHash } from 'node:crypto';
import { MongoServerError, ObjectId, type Collection, type Db, type WithId } from 'mongodb';
import type { UserState } from '@eventline/avro';
import { type IdempotencyClaim, jsonResponse, pushRecordedResponse, type RecordedResponse, recordedResponse } from '@eventline/idempotency';
import { newEnvelope, type EventEnvelope } from '@eventline/kafka';
import { outboxCommitted, pendingEvent, type PayloadValidator, type PendingEvent } from '@eventline/outbox';
import type { CopySet, LocalCopies, UserCopy } from './local-copies';

export const ORDERS_TOPIC = 'orders';

export type OrderStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'CANCELLED';

interface EmbeddedUser {
  id: number;
  firstname: string;
  lastname: string;
  email: string;
}

export interface OrderLine {
  productId: number;
  description: string;
  qty: number;
  unitPrice: number;
}

/** What moved an order: an event this service published about it, and what that answered. */
export interface TimelineEntry {
  at: Date;
  /** OrderPlaced, OrderRejected, OrderApproved, OrderCancelled. */
  event: string;
  eventId: string;
  /** The order's status after it. */
  status: OrderStatus;
  reason?: string;
  /** The event it answered (StockReserved from product-service, a CartCheckedOut), when it answered one. */
  causedBy?: { event: string; eventId: string; source: string };
}

/**
 * A purchase_order document, shaped as in seed 000 (embedded user and product, price), plus its
 * lines, status and the user version it embeds; `pendingEvents` is its outbox.
 */
export interface PurchaseOrder {
  _id: ObjectId;
  user: EmbeddedUser;
  /** The first line's product, as seed 000 shows it. */
  product: { id: number; description: string };
  qty: number;
  /** The order's amount: the sum of unit price × qty, fixed when the order was placed. */
  price: number;
  lines: OrderLine[];
  status: OrderStatus;
  reason?: string;
  cartId?: string;
  userVersion: number;
  createdAt: Date;
  pendingEvents: PendingEvent[];
  /** Every status it had and why, written by the same single-document write as each change (absent on orders placed before timelines were kept). */
  timeline?: TimelineEntry[];
  /** The responses of the keyed requests that changed it, each written with its change (see MongoIdempotencyStore). */
  idempotencyKeys?: RecordedResponse[];
}

/** The one order of a checked-out cart has an id derived from the cart, so a second delivery finds it. */
export const orderIdForCart = (cartId: string) => new ObjectId(createHash('sha1').update(`cart:${cartId}`).digest().subarray(0, 12));

const DUPLICATE_KEY = 11000;

export class UnknownReferenceError extends Error {
  constructor(
    readonly field: 'userId' | 'productId',
    id: number,
  ) {
    super(`${field === 'userId' ? 'user' : 'product'} ${id} does not exist`);
  }
}

const embed = (id: number, user: Omit<UserCopy, '_id'>): EmbeddedUser => ({ id, firstname: user.firstname, lastname: user.lastname, email: user.email });

/** The API's view of an order: `id` instead of `_id`; the product also as `productId`, as seed 000's response shows it. */
export function toResource(order: WithId<PurchaseOrder>) {
  return {
    id: order._id.toHexString(),
    user: order.user,
    product: { id: order.product.id, productId: order.product.id, description: order.product.description },
    qty: order.qty,
    price: order.price,
    lines: order.lines,
    status: order.status,
    ...(order.reason ? { reason: order.reason } : {}),
    ...(order.cartId ? { cartId: order.cartId } : {}),
    createdAt: order.createdAt.toISOString(),
  };
}

function timelineEntry(envelope: EventEnvelope, status: OrderStatus, reason: string | undefined, cause: EventEnvelope | undefined): TimelineEntry {
  return {
    at: new Date(envelope.occurredAt),
    event: envelope.eventType,
    eventId: envelope.eventId,
    status,
    ...(reason ? { reason } : {}),
    ...(cause ? { causedBy: { event: cause.eventType, eventId: cause.eventId, source: cause.source } } : {}),
  };
}

/** An order's timeline as the API shows it: what happened, when, and what it answered. */
export function toTimeline(order: WithId<PurchaseOrder>) {
  return {
    orderId: order._id.toHexString(),
    status: order.status,
    ...(order.reason ? { reason: order.reason } : {}),
    timeline: (order.timeline ?? []).map((entry) => ({ ...entry, at: entry.at.toISOString() })),
  };
}

export class Orders {
  readonly collection: Collection<PurchaseOrder>;

  constructor(
    db: Db,
    private readonly copies: LocalCopies,
    private readonly source: string,
    private readonly validate: PayloadValidator,
  ) {
    this.collection = db.collection<PurchaseOrder>('purchase_order');
  }

  static async migrate(db: Db): Promise<void> {
    await db.collection('purchase_order').createIndex({ 'user.id': 1 });
  }

  /**
   * Places an order against the local copies only: no call to another service. With `claim` (the
   * request's Idempotency-Key) the order document carries its 201 response, and that is the order
   * answered: what a retry after a crash gets.
   */
  async place(userId: number, productId: number, qty: number, claim?: IdempotencyClaim): Promise<WithId<PurchaseOrder>> {
    const orderId = new ObjectId();
    const {
      copies,
      result: { order, unknown },
    } = await this.copies.readActive((active) => this.build(active, orderId, userId, [{ productId, qty }]));
    if (unknown) throw new UnknownReferenceError(unknown.field, unknown.id);
    if (claim) order.idempotencyKeys = [recordedResponse(claim, jsonResponse(201, toResource(order)))];
    await this.collection.insertOne(order);
    outboxCommitted();
    // A UserState applied between our read and our insert missed this order; catch up with it here.
    const latest = await copies.users.findOne({ _id: userId });
    if (!latest || latest.version <= order.userVersion) return order;
    await this.embedUser({ id: userId, ...latest });
    // The keyed response recorded the order as inserted: that is what a retry gets, so this one answers it too.
    return claim ? order : ((await this.collection.findOne({ _id: order._id })) ?? order);
  }

  /**
   * The order of a checked-out cart, placed once however often the checkout is delivered. A customer
   * or product the copies do not know makes it REJECTED, so the checkout is never lost silently.
   */
  async placeFromCart(cartId: string, customerId: string, lines: { itemId: string; qty: number }[], cause: EventEnvelope): Promise<'placed' | 'duplicate'> {
    const userId = /^[1-9][0-9]{0,15}$/.test(customerId) ? Number(customerId) : 0;
    const {
      result: { order },
    } = await this.copies.readActive((active) =>
      this.build(
        active,
        orderIdForCart(cartId),
        userId,
        lines.map((l) => ({ productId: Number(l.itemId), qty: l.qty })),
        cause,
      ),
    );
    order.cartId = cartId;
    try {
      await this.collection.insertOne(order);
      outboxCommitted();
      return 'placed';
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return 'duplicate';
      throw error;
    }
  }

  /** The order document, PENDING with its OrderPlaced, or REJECTED with its OrderRejected when a reference is unknown. */
  private async build(
    { users, products }: CopySet,
    _id: ObjectId,
    userId: number,
    wanted: { productId: number; qty: number }[],
    cause?: EventEnvelope,
  ): Promise<{ order: PurchaseOrder; unknown?: { field: 'userId' | 'productId'; id: number } }> {
    const [user, found] = await Promise.all([users.findOne({ _id: userId }), Promise.all(wanted.map((w) => products.findOne({ _id: w.productId })))]);
    const lines: OrderLine[] = wanted.map((w, i) => ({ productId: w.productId, qty: w.qty, description: found[i]?.description ?? '', unitPrice: found[i]?.price ?? 0 }));
    const orderId = _id.toHexString();
    const missingProduct = wanted.find((_, i) => !found[i]);
    const unknown = !user ? { field: 'userId' as const, id: userId } : missingProduct ? { field: 'productId' as const, id: missingProduct.productId } : undefined;
    const missing = unknown && `${unknown.field === 'userId' ? 'customer' : 'product'} ${unknown.id} is unknown`;
    const event = missing
      ? { recordName: 'dev.eventline.orders.OrderRejected', payload: { orderId, reason: missing } }
      : { recordName: 'dev.eventline.orders.OrderPlaced', payload: { orderId, userId, lines: wanted, cartId: null as string | null } };
    this.validate(event.recordName, event.payload);
    const type = event.recordName.slice(event.recordName.lastIndexOf('.') + 1);
    const envelope = newEnvelope(type, this.source, cause);
    const status: OrderStatus = missing ? 'REJECTED' : 'PENDING';
    const order: PurchaseOrder = {
      _id,
      user: user ? embed(userId, user) : { id: userId, firstname: '', lastname: '', email: '' },
      product: { id: lines[0]!.productId, description: lines[0]!.description },
      qty: lines.reduce((n, l) => n + l.qty, 0),
      price: lines.reduce((sum, l) => sum + l.unitPrice * l.qty, 0),
      lines,
      status,
      ...(missing ? { reason: missing } : {}),
      userVersion: user?.version ?? 0,
      createdAt: new Date(),
      pendingEvents: [pendingEvent({ topic: ORDERS_TOPIC, key: orderId, recordName: event.recordName, payload: event.payload, envelope })],
      timeline: [timelineEntry(envelope, status, missing, cause)],
    };
    return { order, unknown };
  }

  /**
   * Moves an order to its next status if it is in the one expected, with the event announcing it, in
   * one single-document update; false when the order is not in that status (a repeat, or too late).
   */
  async transition(
    id: ObjectId,
    from: OrderStatus,
    to: OrderStatus,
    recordName: string,
    payload: Record<string, unknown>,
    cause?: EventEnvelope,
    reason?: string,
  ): Promise<boolean> {
    return (await this.update(id, from, to, recordName, payload, { cause, reason })).modified;
  }

  /**
   * As `transition`, answering with the order after it (undefined when it was not in `from`). With
   * `claim`, the same update records the request's 200 response: that order.
   */
  async transitionAnswering(
    id: ObjectId,
    from: OrderStatus,
    to: OrderStatus,
    recordName: string,
    payload: Record<string, unknown>,
    { cause, reason, claim }: { cause?: EventEnvelope; reason?: string; claim?: IdempotencyClaim } = {},
  ): Promise<WithId<PurchaseOrder> | undefined> {
    const { modified, after } = await this.update(id, from, to, recordName, payload, { cause, reason, claim });
    if (!modified) return undefined;
    return after ?? (await this.collection.findOne({ _id: id })) ?? undefined;
  }

  /** The single-document update behind `transition`: with `claim`, it also answers the order after it, read before the update. */
  private async update(
    id: ObjectId,
    from: OrderStatus,
    to: OrderStatus,
    recordName: string,
    payload: Record<string, unknown>,
    { cause, reason, claim }: { cause?: EventEnvelope; reason?: string; claim?: IdempotencyClaim },
  ): Promise<{ modified: boolean; after?: WithId<PurchaseOrder> }> {
    this.validate(recordName, payload);
    const type = recordName.slice(recordName.lastIndexOf('.') + 1);
    const envelope = newEnvelope(type, this.source, cause);
    const event = pendingEvent({ topic: ORDERS_TOPIC, key: id.toHexString(), recordName, payload, envelope });
    const before = claim ? await this.collection.findOne({ _id: id, status: from }) : undefined;
    if (claim && !before) return { modified: false };
    const after = before && { ...before, status: to, ...(reason ? { reason } : {}) };
    const result = await this.collection.updateOne(
      { _id: id, status: from },
      {
        $set: { status: to, ...(reason ? { reason } : {}) },
        $push: {
          pendingEvents: event,
          timeline: timelineEntry(envelope, to, reason, cause),
          ...(claim && after ? pushRecordedResponse(claim, jsonResponse(200, toResource(after))) : {}),
        },
      },
    );
    if (result.modifiedCount !== 1) return { modified: false };
    outboxCommitted();
    return { modified: true, ...(after ? { after } : {}) };
  }

  async list(userId?: number): Promise<WithId<PurchaseOrder>[]> {
    return this.collection
      .find(userId === undefined ? {} : { 'user.id': userId })
      .sort({ createdAt: 1, _id: 1 })
      .toArray();
  }

  async find(id: ObjectId): Promise<WithId<PurchaseOrder> | null> {
    return this.collection.findOne({ _id: id });
  }

  /** Writes a user's newer state into every order of that user; orders already at that version or newer are left alone. */
  async embedUser(user: EmbeddableUser): Promise<number> {
    return this.embedUsers([user]);
  }

  /** `embedUser` for several users in one round trip (an unordered bulk write of one updateMany each). */
  async embedUsers(users: EmbeddableUser[]): Promise<number> {
    if (users.length === 0) return 0;
    const result = await this.collection.bulkWrite(
      users.map((user) => ({
        updateMany: {
          filter: { 'user.id': user.id, userVersion: { $lt: user.version } },
          update: { $set: { user: embed(user.id, user), userVersion: user.version } },
        },
      })),
      { ordered: false },
    );
    return result.modifiedCount;
  }
}

type EmbeddableUser = Pick<UserState, 'id' | 'firstname' | 'lastname' | 'email' | 'version'>;
