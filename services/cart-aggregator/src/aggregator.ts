import type { Kafka, Message, TopicMessages } from 'kafkajs';
import type { AvroCodec, CartDetails } from '@eventline/avro';
import { buildHeaders, newEnvelope, TransientError, type Assignment, type ConsumedEvent, type ProcessedChunk } from '@eventline/kafka';
import { stateEntries, stateRestoreDuration, type Logger } from '@eventline/observability';
import { foldCartEvent, type CartEvent } from './cart-fold';
import { CHANGELOG_TOPIC, readChangelog } from './changelog';
import type { ProductTable } from './product-table';

export const CART_EVENTS_TOPIC = 'cart-events';
export const CART_DETAILS_TOPIC = 'cart-details';
const CART_DETAILS = 'dev.eventline.carts.CartDetails';
const STORE = 'cart-aggregator';

/** The carts of one cart-events partition, and how far its changelog partition is read. */
interface PartitionState {
  carts: Map<string, CartDetails>;
  /** The changelog offset after the last record this state includes. */
  position: bigint;
}

/** What an instance holds, per partition: for its /aggregator/state route and the tests. */
export interface HeldPartition {
  partition: number;
  /** False from the rebalance that assigned it until its state is restored (at its first records). */
  restored: boolean;
  carts: number;
  position: string;
}

/**
 * The aggregation itself: folds a chunk of cart events into staged carts, and returns the new
 * states for `cart-details` and the changelog; the staged carts become the state only once the
 * transaction carrying them has committed.
 *
 * State is kept per input partition: a cart's changelog records go to the partition of its
 * cart-events (the topics have equal partition counts), so an instance holds and restores only the
 * changelog partitions of the cart-events partitions it is assigned. After a rebalance it reads the
 * partitions it newly holds from their start, catches up on those it kept from where it was (another
 * instance may have held them meanwhile, while this one was paused), and lets the rest go.
 */
const sameMembers = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x) => b.includes(x));

export class CartAggregator {
  private readonly partitions = new Map<number, PartitionState>();
  /** The cart-events partitions the group assigned last; undefined before the first assignment. */
  private assignedPartitions: readonly number[] | undefined;
  /** An assignment came that `restore` has not yet brought the state in line with. */
  private restorePending = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly codec: AvroCodec,
    private readonly products: ProductTable,
    private readonly logger: Logger,
    private readonly prefix: string,
    private readonly retryDeadlineMs?: number,
  ) {}

  assign(assigned: Assignment): void {
    this.assignedPartitions = assigned.get(CART_EVENTS_TOPIC) ?? [];
    this.restorePending = true;
  }

  async restore(assigned: Assignment, heartbeat: () => Promise<void>): Promise<void> {
    const owned = assigned.get(CART_EVENTS_TOPIC) ?? [];
    const lost = [...this.partitions.keys()].filter((partition) => !owned.includes(partition));
    for (const partition of lost) {
      this.partitions.delete(partition);
      stateEntries.remove({ store: STORE, partition: String(partition) });
    }
    const gained = owned.filter((partition) => !this.partitions.has(partition));
    for (const partition of gained) this.partitions.set(partition, { carts: new Map(), position: 0n });
    const timer = stateRestoreDuration.startTimer({ store: STORE });
    let records = 0;
    const positions = await readChangelog(
      this.kafka,
      this.codec,
      this.logger,
      this.prefix,
      (partition, customerId, cart) => {
        records++;
        const { carts } = this.partitions.get(partition)!;
        if (cart === null) carts.delete(customerId);
        else carts.set(customerId, cart);
      },
      { heartbeat, retryDeadlineMs: this.retryDeadlineMs, from: new Map(owned.map((partition) => [partition, this.partitions.get(partition)!.position])) },
    );
    const seconds = timer();
    for (const [partition, position] of positions) this.partitions.get(partition)!.position = position;
    // Another rebalance may have come while this one's state was read.
    this.restorePending = !sameMembers(this.assignedPartitions ?? owned, owned);
    let carts = 0;
    for (const [partition, state] of this.partitions) {
      stateEntries.set({ store: STORE, partition: String(partition) }, state.carts.size);
      carts += state.carts.size;
    }
    this.logger.info({ partitions: owned, gained, lost, recordsRead: records, carts, ms: Math.round(seconds * 1000) }, 'restored cart state from the changelog');
  }

  /** The partitions the group assigned this instance (not those it kept state of before a rebalance). */
  held(): HeldPartition[] {
    const partitions = [...(this.assignedPartitions ?? this.partitions.keys())].sort((a, b) => a - b);
    return partitions.map((partition) => {
      const state = this.partitions.get(partition);
      return { partition, restored: state !== undefined && !this.restorePending, carts: state?.carts.size ?? 0, position: (state?.position ?? 0n).toString() };
    });
  }

  async process(events: ConsumedEvent[]): Promise<ProcessedChunk> {
    // A chunk is one input partition's (see TransactionalProcessor).
    const partition = events[0]?.partition;
    if (partition === undefined) return { outputs: [], commit: () => undefined };
    const state = this.partitions.get(partition);
    // Never a reason to dead-letter the records: retried until the rebalance in progress settles.
    if (!state) throw new TransientError(`cart-events partition ${partition} is not one this instance restored`);
    const staged = new Map<string, CartDetails>();
    const causes = new Map<string, ConsumedEvent>();
    for (const event of events) {
      if (event.value === null || event.recordName === undefined) continue;
      const before = staged.get(event.key) ?? state.carts.get(event.key);
      const version = (event.value as { version?: number }).version ?? 0;
      // A customer's events carry consecutive versions: one past the next means the state lacks
      // events the input offsets are already past (or the topic lacks them). Said, not hidden.
      if (version > (before?.version ?? 0) + 1) {
        this.logger.warn(
          { customerId: event.key, stateVersion: before?.version ?? 0, eventVersion: version, partition, offset: event.offset },
          'cart event past the next version: the events between were never folded in',
        );
      }
      const after = foldCartEvent(before, { type: event.recordName, data: event.value } as CartEvent, (id) => this.products.get(id));
      if (after !== before) {
        staged.set(event.key, after);
        causes.set(event.key, event);
      }
    }
    const details: Message[] = [];
    const changelog: Message[] = [];
    for (const [customerId, cart] of staged) {
      const value = await this.codec.encode(CART_DETAILS_TOPIC, CART_DETAILS, cart);
      const cause = causes.get(customerId)!.envelope;
      const schemaId = await this.codec.schemaId(CART_DETAILS_TOPIC, CART_DETAILS);
      const headers = buildHeaders({ ...newEnvelope('CartDetails', 'cart-aggregator', cause), schemaId });
      details.push({ key: customerId, value, headers });
      // The changelog is this service's own state, read back only by key and value (readChangelog), so
      // its records carry no envelope headers (seven per record, each encoded by kafkajs in JavaScript).
      changelog.push({ key: customerId, value: await this.codec.encode(CHANGELOG_TOPIC, CART_DETAILS, cart), partition });
    }
    const outputs: TopicMessages[] =
      staged.size === 0
        ? []
        : [
            { topic: CART_DETAILS_TOPIC, messages: details },
            { topic: CHANGELOG_TOPIC, messages: changelog },
          ];
    return {
      outputs,
      commit: (sent) => {
        for (const [customerId, cart] of staged) state.carts.set(customerId, cart);
        stateEntries.set({ store: STORE, partition: String(partition) }, state.carts.size);
        // Past its own records: a later catch-up reads only what another instance wrote after them.
        const written = sent.find((record) => record.topicName === CHANGELOG_TOPIC && record.partition === partition);
        if (written?.baseOffset !== undefined) state.position = BigInt(written.baseOffset) + BigInt(changelog.length);
      },
    };
  }
}
