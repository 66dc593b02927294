import type { Pool, PoolClient } from 'pg';
import { recordValue, type OrderLine, type OrderPlaced } from '@eventline/avro';
import { newEnvelope, type ConsumedEvent, type EventEnvelope } from '@eventline/kafka';
import { enqueue, type OutboxEvent, type PayloadValidator } from '@eventline/outbox';
import { withTransaction } from '@eventline/postgres';
import { stateEvent } from '@eventline/runtime';
import { PRODUCTS_TOPIC, PRODUCT_STATE, toProduct, type ProductRow } from './products';

export const INVENTORY_TOPIC = 'inventory';
const ORDER_PLACED = 'dev.eventline.orders.OrderPlaced';
const ORDER_CANCELLED = 'dev.eventline.orders.OrderCancelled';

/**
 * product-service's part of the order saga. A reservation row per order makes each step happen once
 * whatever the deliveries: the stock change, the reservation and the events (StockReserved /
 * StockRejected / StockReleased, and the products' new ProductState) commit in one transaction.
 */
export class Reservations {
  constructor(
    private readonly pool: Pool,
    private readonly source: string,
    private readonly validate: PayloadValidator,
  ) {}

  static async migrate(pool: Pool): Promise<void> {
    await pool.query(`
      CREATE TABLE IF NOT EXISTS reservation (
        order_id   text        PRIMARY KEY,
        status     text        NOT NULL CHECK (status IN ('RESERVED', 'REJECTED', 'RELEASED')),
        lines      jsonb       NOT NULL,
        reason     text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async handle(event: ConsumedEvent): Promise<void> {
    if (event.recordName === ORDER_PLACED) await this.reserve(recordValue(event, ORDER_PLACED), event.envelope);
    if (event.recordName === ORDER_CANCELLED) await this.release(recordValue(event, ORDER_CANCELLED).orderId, event.envelope);
  }

  private event(recordName: string, orderId: string, payload: Record<string, unknown>, cause: EventEnvelope): OutboxEvent {
    const type = recordName.slice(recordName.lastIndexOf('.') + 1);
    return { topic: INVENTORY_TOPIC, key: orderId, recordName, payload, envelope: newEnvelope(type, this.source, cause) };
  }

  /** Takes every line's units or none; a repeated OrderPlaced finds its reservation and changes nothing. */
  private async reserve({ orderId, lines }: Pick<OrderPlaced, 'orderId' | 'lines'>, cause: EventEnvelope): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      const known = await tx.query('SELECT 1 FROM reservation WHERE order_id = $1 FOR UPDATE', [orderId]);
      if (known.rowCount === 1) return;
      const wanted = merge(lines);
      // Locks in id order, so two reservations of the same products cannot deadlock.
      const { rows } = await tx.query<ProductRow>('SELECT * FROM product WHERE id = ANY($1) ORDER BY id FOR UPDATE', [[...wanted.keys()]]);
      const short = [...wanted].find(([id, qty]) => (rows.find((r) => r.id === id)?.qty_available ?? -1) < qty);
      if (short) {
        const [id, qty] = short;
        const product = rows.find((r) => r.id === id);
        const reason = product ? `product ${id} has ${product.qty_available} available, ${qty} asked` : `product ${id} does not exist`;
        await tx.query(`INSERT INTO reservation (order_id, status, lines, reason) VALUES ($1, 'REJECTED', $2, $3)`, [orderId, JSON.stringify(lines), reason]);
        await enqueue(tx, [this.event('dev.eventline.inventory.StockRejected', orderId, { orderId, reason }, cause)], this.validate);
        return;
      }
      const states = await this.adjust(tx, wanted, -1);
      await tx.query(`INSERT INTO reservation (order_id, status, lines) VALUES ($1, 'RESERVED', $2)`, [orderId, JSON.stringify(lines)]);
      await enqueue(tx, [...states, this.event('dev.eventline.inventory.StockReserved', orderId, { orderId, lines }, cause)], this.validate);
    });
  }

  /** Puts a reserved order's units back, once. */
  private async release(orderId: string, cause: EventEnvelope): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<{ lines: OrderLine[] }>(
        `UPDATE reservation SET status = 'RELEASED', updated_at = now() WHERE order_id = $1 AND status = 'RESERVED' RETURNING lines`,
        [orderId],
      );
      if (rows[0] === undefined) return;
      const states = await this.adjust(tx, merge(rows[0].lines), +1);
      await enqueue(tx, [...states, this.event('dev.eventline.inventory.StockReleased', orderId, { orderId, lines: rows[0].lines }, cause)], this.validate);
    });
  }

  /** Changes qty_available by sign × qty per product (ids ascending) and returns their new ProductStates. */
  private async adjust(tx: PoolClient, wanted: Map<number, number>, sign: 1 | -1): Promise<OutboxEvent[]> {
    const events: OutboxEvent[] = [];
    for (const [id, qty] of [...wanted].sort(([a], [b]) => a - b)) {
      const { rows } = await tx.query<ProductRow>('UPDATE product SET qty_available = qty_available + $2, version = version + 1 WHERE id = $1 RETURNING *', [id, sign * qty]);
      const product = toProduct(rows[0]!);
      events.push(stateEvent(this.source, PRODUCTS_TOPIC, PRODUCT_STATE, product.id, { ...product }));
    }
    return events;
  }
}

/** Units per product, adding up lines that name the same product. */
function merge(lines: OrderLine[]): Map<number, number> {
  const wanted = new Map<number, number>();
  for (const { productId, qty } of lines) wanted.set(productId, (wanted.get(productId) ?? 0) + qty);
  return wanted;
}
