import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import { PublishSpans, type EventEnvelope, type RecordSender } from '@eventline/kafka';
import { Backoff, eventsPublished, failpoint, outboxDepth, type Logger } from '@eventline/observability';
import type { OutboxEvent } from './enqueue';
import { RELAY_BACKOFF } from './relay';
import { encodeRecords, type RecordEncoder } from './encode-records';
import { RELAY_STALLED_AFTER_MS, StallWatch } from './stall-watch';
import { onOutboxCommit, WorkSignal } from './wake';

/**
 * The transactional outbox for MongoDB without multi-document transactions: a document carries the
 * events of its own changes in `pendingEvents`, written by the same single-document write as the
 * change. A relay publishes them in array order and then pulls exactly those it published.
 */
export const PENDING_EVENTS = 'pendingEvents';

/**
 * The relay's query: documents that carry pending events, in `_id` order. Served by the sparse
 * `pending_events` index (documents whose events were all pulled hold an empty array and drop out of it).
 */
export const pendingEventsQuery = {
  filter: { [`${PENDING_EVENTS}.eventId`]: { $exists: true } } as Filter<Document>,
  projection: { [PENDING_EVENTS]: 1 },
  sort: { _id: 1 } as const,
};

export interface PendingEvent {
  eventId: string;
  topic: string;
  key: string;
  recordName: string | null;
  payload: Record<string, unknown> | null;
  envelope: EventEnvelope;
}

export function pendingEvent(event: OutboxEvent): PendingEvent {
  return { eventId: event.envelope.eventId, topic: event.topic, key: event.key, recordName: event.recordName, payload: event.payload, envelope: event.envelope };
}

export interface MongoOutboxRelayOptions {
  collections: Collection<Document>[];
  producer: RecordSender;
  encoder: RecordEncoder;
  logger: Logger;
  batchSize?: number;
  pollIntervalMs?: number;
  topicPrefix?: string;
}

/**
 * At least once: a crash after the publish and before the pull publishes those events again.
 * Several relays on one collection may publish an event twice, never lose or reorder one.
 */
export class MongoOutboxRelay {
  private stopping = false;
  private readonly stall = new StallWatch(RELAY_STALLED_AFTER_MS);
  private running: Promise<void> | undefined;
  private readonly log: Logger;
  private readonly signal = new WorkSignal(1);
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: MongoOutboxRelayOptions) {
    this.log = options.logger.child({ component: 'mongo-outbox-relay' });
  }

  async start(): Promise<void> {
    // Lets MongoDB find the few documents with pending events without scanning the collection.
    for (const collection of this.options.collections) {
      await collection.createIndex({ [`${PENDING_EVENTS}.eventId`]: 1 }, { sparse: true, name: 'pending_events' });
    }
    this.unsubscribe = onOutboxCommit(() => this.signal.wake());
    this.running = this.loop();
  }

  /** False once every round has failed for RELAY_STALLED_AFTER_MS (see StallWatch): /healthz then has the process replaced. */
  isAlive(): boolean {
    return !this.stall.isStalled();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.signal.close();
    await this.running;
  }

  private async loop(): Promise<void> {
    const backoff = new Backoff(RELAY_BACKOFF);
    while (!this.stopping) {
      const roundEnded = this.stall.roundStarted();
      try {
        let published = 0;
        try {
          for (const collection of this.options.collections) published += await this.publishRound(collection);
        } finally {
          roundEnded();
        }
        this.stall.succeeded();
        backoff.reset();
        if (published === 0) await this.signal.wait(this.options.pollIntervalMs ?? 200);
      } catch (error) {
        this.stall.failed();
        this.log.warn({ err: error }, 'mongo outbox round failed; events stay pending and are retried');
        await this.signal.wait(backoff.next());
      }
    }
  }

  /** Publishes the pending events of up to `batchSize` documents; returns how many events. */
  async publishRound(collection: Collection<Document>): Promise<number> {
    const documents = await collection
      .find(pendingEventsQuery.filter, { projection: pendingEventsQuery.projection })
      .sort(pendingEventsQuery.sort)
      .limit(this.options.batchSize ?? 100)
      .toArray();
    outboxDepth.set({ table: collection.collectionName }, documents.length);
    if (documents.length === 0) return 0;
    const pending = documents.flatMap((document) => document[PENDING_EVENTS] as PendingEvent[]);
    const spans = new PublishSpans();
    const topicMessages = await encodeRecords(pending, this.options.encoder, this.options.topicPrefix, spans);
    await spans.around(() => this.options.producer.sendBatch({ acks: -1, topicMessages }));
    failpoint('mongo-outbox.after-publish');
    for (const document of documents) {
      const ids = (document[PENDING_EVENTS] as PendingEvent[]).map((e) => e.eventId);
      await collection.updateOne({ _id: document._id }, { $pull: { [PENDING_EVENTS]: { eventId: { $in: ids } } } } as unknown as UpdateFilter<Document>);
    }
    for (const { topic, messages } of topicMessages) eventsPublished.inc({ topic }, messages.length);
    return pending.length;
  }
}
