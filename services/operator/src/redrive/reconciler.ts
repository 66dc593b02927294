import type { Kafka } from 'kafkajs';
import { deadLetterTopic, withAdmin } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';
import { ensureFinalizer, isBeingDeleted, removeFinalizer, setCondition, type EventRecorder, type ReconcileResult, type ResourceClient } from '@eventline/operator-kit';
import { deleteGroupWhenEmpty } from '../consumer-groups';
import { FINALIZER, redriveKind } from '../kinds';
import { RedriveRun } from './run';
import { redriveRunnerFor } from './runner';
import type { RedriveCounts } from './progress';
import type { Redrive, RedriveSpec, RedriveStatus } from './types';

export interface RedriveReconcilerOptions {
  kafka: Kafka;
  client: ResourceClient<RedriveSpec, RedriveStatus>;
  events: EventRecorder;
  logger: Logger;
  prefix: string;
  sessionTimeoutMs?: number;
  recordsPerTransaction?: number;
  /** How often a running Redrive's counts are written to its status. */
  progressIntervalMs?: number;
  /** The Redrives the informer holds: to run one per topic at a time. */
  redrives: () => readonly Redrive[];
}

/** The consumer group (and transactional id) of a Redrive on its .dlq: one per Redrive object. */
export const redriveGroupId = (prefix: string, redrive: Redrive): string => `${prefix}operator.redrive-${redrive.metadata.uid}`;

/**
 * Redrive: Pending → Running (end offsets of the .dlq fixed in status) → Completed, with the counts
 * Kafka committed. Deleting a Redrive stops its run and deletes its consumer group.
 */
export class RedriveReconciler {
  private readonly runs = new Map<string, RedriveRun>();
  private readonly log: Logger;

  constructor(private readonly options: RedriveReconcilerOptions) {
    this.log = options.logger.child({ component: 'redrive-reconciler' });
  }

  async reconcile(found: Redrive): Promise<ReconcileResult | undefined> {
    const { client } = this.options;
    if (isBeingDeleted(found)) return this.cleanUp(found);
    const redrive = await ensureFinalizer(client, found, FINALIZER);
    const status = redrive.status ?? {};
    const generation = redrive.metadata.generation ?? 1;
    if ((status.phase === 'Completed' || status.phase === 'Failed') && status.observedGeneration === generation) return;
    const groupId = redriveGroupId(this.options.prefix, redrive);

    const runner = redriveRunnerFor(this.options.redrives(), redrive.spec.topic);
    if (runner && runner.metadata.uid !== redrive.metadata.uid && status.phase !== 'Running') {
      const message = `waits for redrive/${runner.metadata.name}: one Redrive of ${redrive.spec.topic} runs at a time`;
      if (status.phase !== 'Pending' || status.conditions?.find((c) => c.type === 'Ready')?.message !== message) {
        await this.patch(redrive, { phase: 'Pending' }, { status: 'False', reason: 'Waiting', message });
        await this.options.events.record(redrive, redriveKind, 'Normal', 'Waiting', message);
      }
      return { requeueAfterMs: this.options.progressIntervalMs ?? 1_000 };
    }

    let endOffsets = status.endOffsets;
    if (!endOffsets) {
      const dlq = deadLetterTopic(this.options.prefix + redrive.spec.topic);
      const ends = await this.dlqEndOffsets(dlq);
      if (!ends) {
        await this.patch(
          redrive,
          { phase: 'Failed', completionTime: new Date().toISOString() },
          { status: 'False', reason: 'TopicNotFound', message: `topic ${dlq} does not exist` },
        );
        await this.options.events.record(redrive, redriveKind, 'Warning', 'TopicNotFound', `topic ${dlq} does not exist`);
        return;
      }
      endOffsets = ends;
      await this.patch(
        redrive,
        {
          phase: 'Running',
          startTime: new Date().toISOString(),
          endOffsets,
          consumerGroup: groupId,
          recordsMoved: 0,
          recordsSkipped: 0,
          recordsMatched: 0,
          recordsAlreadyMoved: 0,
        },
        { status: 'False', reason: 'Running', message: `moving records of ${dlq} below offsets ${endOffsets.map((e) => `${e.partition}:${e.offset}`).join(', ')}` },
      );
      await this.options.events.record(redrive, redriveKind, 'Normal', 'Started', `${redrive.spec.dryRun ? 'counting' : 'moving'} records of ${dlq} back to ${redrive.spec.topic}`);
    }

    const uid = redrive.metadata.uid;
    let run = this.runs.get(uid);
    if (!run) {
      run = new RedriveRun({
        kafka: this.options.kafka,
        logger: this.options.logger,
        redrive,
        prefix: this.options.prefix,
        groupId,
        endOffsets: new Map(endOffsets.map((e) => [e.partition, BigInt(e.offset)])),
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        maxRecordsPerTransaction: this.options.recordsPerTransaction,
      });
      this.runs.set(uid, run);
      void run.start();
    }
    const outcome = await Promise.race([
      run.done.then(
        (counts) => ({ counts }),
        (error: unknown) => ({ error }),
      ),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50)),
    ]);
    if (outcome === undefined) {
      await this.patch(redrive, this.countsStatus(redrive, run.progress()), { status: 'False', reason: 'Running', message: 'moving records' });
      return { requeueAfterMs: this.options.progressIntervalMs ?? 1_000 };
    }
    this.runs.delete(uid);
    if ('error' in outcome) throw outcome.error;
    const summary = this.describe(redrive, outcome.counts);
    await this.patch(
      redrive,
      { ...this.countsStatus(redrive, outcome.counts), phase: 'Completed', completionTime: new Date().toISOString() },
      { status: 'True', reason: 'Completed', message: summary },
    );
    await this.options.events.record(redrive, redriveKind, 'Normal', 'Completed', summary);
  }

  /** Stops every run (this replica lost the lead); a successor resumes them from Kafka. */
  async stopAll(): Promise<void> {
    const runs = [...this.runs.values()];
    this.runs.clear();
    await Promise.all(runs.map((run) => run.stop()));
  }

  private async cleanUp(redrive: Redrive): Promise<ReconcileResult | undefined> {
    const run = this.runs.get(redrive.metadata.uid);
    this.runs.delete(redrive.metadata.uid);
    await run?.stop();
    const groupId = redriveGroupId(this.options.prefix, redrive);
    if (!(await deleteGroupWhenEmpty(this.options.kafka, groupId, this.log))) return { requeueAfterMs: this.options.progressIntervalMs ?? 1_000 };
    await removeFinalizer(this.options.client, redrive, FINALIZER);
  }

  private async dlqEndOffsets(dlq: string): Promise<{ partition: number; offset: string }[] | undefined> {
    return withAdmin(
      this.options.kafka,
      `reading the end offsets of ${dlq}`,
      async (admin) => {
        if (!(await admin.listTopics()).includes(dlq)) return undefined;
        return (await admin.fetchTopicOffsets(dlq)).map((p) => ({ partition: p.partition, offset: p.high }));
      },
      { logger: this.log, deadlineMs: 30_000 },
    );
  }

  private countsStatus(redrive: Redrive, counts: RedriveCounts): Partial<RedriveStatus> {
    return { recordsMoved: redrive.spec.dryRun ? 0 : counts.moved, recordsSkipped: counts.skipped, recordsMatched: counts.matched, recordsAlreadyMoved: counts.alreadyMoved };
  }

  private describe(redrive: Redrive, counts: RedriveCounts): string {
    const earlier = counts.alreadyMoved > 0 ? `, ${counts.alreadyMoved} moved by an earlier Redrive left alone` : '';
    return redrive.spec.dryRun
      ? `dry run: ${counts.matched} records would move, ${counts.skipped} skipped${earlier}`
      : `${counts.moved} records moved to ${redrive.spec.topic}, ${counts.skipped} skipped${earlier}`;
  }

  private async patch(redrive: Redrive, status: Partial<RedriveStatus>, ready: { status: 'True' | 'False'; reason: string; message: string }): Promise<void> {
    const generation = redrive.metadata.generation ?? 1;
    const conditions = setCondition(redrive.status?.conditions, { type: 'Ready', ...ready }, generation, new Date());
    const next = { ...status, observedGeneration: generation, conditions };
    const updated = await this.options.client.patchStatusIfChanged(redrive, next);
    redrive.status = updated.status;
  }
}
