import { ObjectId, type Collection, type Db, type WithId } from 'mongodb';
import type { UserState } from '@eventline/avro';
import type { LocalCopies, UserCopy } from './local-copies';

export type OrderStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'CANCELLED';

interface EmbeddedUser {
  id: number;
  firstname: string;
  lastname: string;
  email: string;
}

/** A purchase_order document, shaped as in seed 000, plus its quantity, status and the user version it embeds. */
export interface PurchaseOrder {
  _id: ObjectId;
  user: EmbeddedUser;
  product: { id: number; description: string };
  qty: number;
  /** The order's amount: unit price × qty, fixed when the order was placed. */
  price: number;
  status: OrderStatus;
  userVersion: number;
  createdAt: Date;
}

export class UnknownReferenceError extends Error {
  constructor(readonly field: 'userId' | 'productId', id: number) {
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
    status: order.status,
    createdAt: order.createdAt.toISOString(),
  };
}

export class Orders {
  readonly collection: Collection<PurchaseOrder>;

  constructor(db: Db, private readonly copies: LocalCopies) {
    this.collection = db.collection<PurchaseOrder>('purchase_order');
  }

  static async migrate(db: Db): Promise<void> {
    await db.collection('purchase_order').createIndex({ 'user.id': 1 });
  }

  /** Places an order against the local copies only: no call to another service. */
  async place(userId: number, productId: number, qty: number): Promise<WithId<PurchaseOrder>> {
    const { users, products } = await this.copies.active();
    const [user, product] = await Promise.all([users.findOne({ _id: userId }), products.findOne({ _id: productId })]);
    if (!user) throw new UnknownReferenceError('userId', userId);
    if (!product) throw new UnknownReferenceError('productId', productId);
    const order: PurchaseOrder = {
      _id: new ObjectId(),
      user: embed(userId, user),
      product: { id: productId, description: product.description },
      qty,
      price: product.price * qty,
      status: 'PENDING',
      userVersion: user.version,
      createdAt: new Date(),
    };
    await this.collection.insertOne(order);
    // A UserState applied between our read and our insert missed this order; catch up with it here.
    const latest = await users.findOne({ _id: userId });
    if (latest && latest.version > user.version) await this.embedUser({ id: userId, ...latest });
    return (await this.collection.findOne({ _id: order._id }))!;
  }

  async list(userId?: number): Promise<WithId<PurchaseOrder>[]> {
    return this.collection.find(userId === undefined ? {} : { 'user.id': userId }).sort({ createdAt: 1, _id: 1 }).toArray();
  }

  async find(id: ObjectId): Promise<WithId<PurchaseOrder> | null> {
    return this.collection.findOne({ _id: id });
  }

  /** Writes a user's newer state into every order of that user; orders already at that version or newer are left alone. */
  async embedUser(user: Pick<UserState, 'id' | 'firstname' | 'lastname' | 'email' | 'version'>): Promise<number> {
    const result = await this.collection.updateMany(
      { 'user.id': user.id, userVersion: { $lt: user.version } },
      { $set: { user: embed(user.id, user), userVersion: user.version } },
    );
    return result.modifiedCount;
  }
}
