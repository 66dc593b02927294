import { AppsV1Api, type KubeConfig, type V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Kafka } from 'kafkajs';
import { withAdmin } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';
import {
  controllerReference,
  ensureFinalizer,
  isBeingDeleted,
  JobClient,
  jobOutcome,
  removeFinalizer,
  setCondition,
  statusCodeOf,
  type EventRecorder,
  type ReconcileResult,
  type ResourceClient,
} from '@eventline/operator-kit';
import { deleteGroupWhenEmpty } from '../consumer-groups';
import { FINALIZER, replayKind } from '../kinds';
import { replayGroupId, replayJob, replayJobName } from './job';
import { eventsPerSecond, replayProgress, runnerFor, type PartitionPosition } from './progress';
import { readModels, switchRequested } from './read-models';
import { replayResultOf } from './result';
import type { Replay, ReplayPhase, ReplaySpec, ReplayStatus } from './types';

export interface ReplayReconcilerOptions {
  kubeConfig: KubeConfig;
  kafka: Kafka;
  client: ResourceClient<ReplaySpec, ReplayStatus>;
  events: EventRecorder;
  logger: Logger;
  prefix: string;
  /** Prepended to a Replay's service to name its Deployment or StatefulSet (the release's prefix). */
  workloadPrefix?: string;
  /** The Replays the informer holds: to run one per read model at a time. */
  replays: () => readonly Replay[];
  progressIntervalMs: number;
  /** A Replay of `service` ended: the ones waiting for it may start now rather than at their next poll. */
  finished?(service: string): void;
}

/**
 * Replay: Pending (waiting for another Replay of the same read model) → Rebuilding (its Job runs; lag
 * from the replay group's offsets) → CaughtUp (lag 0, or done without switching) → Switched (the Job
 * switched reads and ended), or Failed. Deleting a Replay deletes its Job and group and, when the
 * rebuild was not switched to, runs the replay command's cleanup to drop what it built.
 */
export class ReplayReconciler {
  private readonly jobs: JobClient;
  private readonly apps: AppsV1Api;
  private readonly log: Logger;

  constructor(private readonly options: ReplayReconcilerOptions) {
    this.jobs = new JobClient(options.kubeConfig);
    this.apps = options.kubeConfig.makeApiClient(AppsV1Api);
    this.log = options.logger.child({ component: 'replay-reconciler' });
  }

  async reconcile(found: Replay): Promise<ReconcileResult | undefined> {
    if (isBeingDeleted(found)) return this.cleanUp(found);
    const replay = await ensureFinalizer(this.options.client, found, FINALIZER);
    const status = replay.status ?? {};
    const generation = replay.metadata.generation ?? 1;
    if (status.completionTime && status.observedGeneration === generation) return;
    const { service } = replay.spec;

    const runner = runnerFor(this.options.replays(), service);
    if (runner && runner.metadata.uid !== replay.metadata.uid) {
      const message = `waits for replay/${runner.metadata.name}: one Replay of ${service} runs at a time`;
      if (status.phase !== 'Pending' || status.conditions?.find((c) => c.type === 'Ready')?.message !== message) {
        await this.patch(replay, { phase: 'Pending' }, { status: 'False', reason: 'Waiting', message });
        await this.options.events.record(replay, replayKind, 'Normal', 'Waiting', message);
      }
      return { requeueAfterMs: this.options.progressIntervalMs };
    }

    const groupId = replayGroupId(this.options.prefix, replay);
    let job = await this.jobs.read(replay.metadata.namespace, replayJobName(replay));
    if (!job) {
      const template = await this.podTemplate(replay.metadata.namespace, service);
      if (!template) {
        await this.patch(
          replay,
          { phase: 'Pending' },
          { status: 'False', reason: 'ServiceNotFound', message: `no Deployment or StatefulSet named ${this.workloadName(service)} in this namespace` },
        );
        return { requeueAfterMs: 10_000 };
      }
      if (replay.spec.from?.position === 'timestamp' && replay.spec.from.timestamp) await this.startAt(groupId, service, replay.spec.from.timestamp);
      job = await this.jobs.create(replayJob(replay, { template, groupId, owner: controllerReference(replay, replayKind) }));
      await this.options.events.record(replay, replayKind, 'Normal', 'JobCreated', `job/${job.metadata?.name} rebuilds ${service}'s read model under group ${groupId}`);
    }
    const startTime = status.startTime ?? new Date().toISOString();
    const outcome = jobOutcome(job);
    const progress = await this.progress(groupId, replay).catch((error: unknown) => {
      this.log.warn({ err: error, groupId }, "could not read the replay group's offsets");
      return undefined;
    });
    const now = new Date();
    // Once the replay ended it deletes its group: the offsets then say nothing, the last reading stays.
    const measured: Partial<ReplayStatus> =
      progress && (progress.applied > 0 || !status.eventsApplied)
        ? { eventsApplied: progress.applied, eventsPerSecond: eventsPerSecond(progress.applied, startTime, now), lag: { total: progress.total, partitions: progress.partitions } }
        : {};
    const base: Partial<ReplayStatus> = { job: job.metadata?.name, consumerGroup: groupId, startTime, ...measured };

    if (outcome === 'failed') {
      const message = `job/${job.metadata?.name} failed: ${job.status?.conditions?.find((c) => c.type === 'Failed')?.message ?? 'see its pods'}`;
      await this.patch(replay, { ...base, phase: 'Failed', completionTime: now.toISOString() }, { status: 'False', reason: 'JobFailed', message });
      await this.options.events.record(replay, replayKind, 'Warning', 'Failed', message);
      this.options.finished?.(service);
      return;
    }
    if (outcome === 'complete') {
      const switched = switchRequested(service, replay.spec.switchWhenCaughtUp);
      const phase: ReplayPhase = switched ? 'Switched' : 'CaughtUp';
      // The replay deletes its group when it ends: the last lag read stays, at 0.
      const lag = { total: 0, partitions: (replay.status?.lag?.partitions ?? []).map((p) => ({ ...p, lag: 0 })) };
      const result = await this.jobResult(replay.metadata.namespace, job.metadata?.name ?? replayJobName(replay));
      const served = result?.servedGeneration;
      const message = switched
        ? `${service} reads from the rebuilt read model${served ? ` (generation ${served})` : ''}`
        : `${service}'s read model rebuilt and caught up; reads not switched`;
      await this.patch(
        replay,
        { ...base, lag, phase, completionTime: now.toISOString(), ...(served ? { servedGeneration: served } : {}) },
        { status: 'True', reason: phase, message },
      );
      await this.options.events.record(replay, replayKind, 'Normal', phase, message);
      // The replay deletes its group itself where its user may (locally); under per-service ACLs only
      // the operator may, once the group's offsets have been read for the status above.
      const deleted = await deleteGroupWhenEmpty(this.options.kafka, groupId, this.log).catch((error: unknown) => {
        this.log.warn({ err: error, groupId }, "could not delete the finished replay's group");
        return false;
      });
      if (!deleted) this.log.info({ groupId }, "the finished replay's group stays until its Replay is deleted");
      this.options.finished?.(service);
      return;
    }
    // A replay that caught up deletes its group before its Job ends: with no offsets left to read, a
    // Replay already CaughtUp stays so instead of reading as the whole topic behind.
    const groupGone = progress !== undefined && progress.applied === 0 && status.phase === 'CaughtUp';
    const caughtUp = (progress?.caughtUp === true && progress.applied > 0) || groupGone;
    const phase: ReplayPhase = caughtUp ? 'CaughtUp' : 'Rebuilding';
    const message = caughtUp ? 'caught up; the Job finishes (and switches) now' : `rebuilding: ${progress ? `${progress.total} events behind` : 'waiting for the replay group'}`;
    await this.patch(replay, { ...base, phase }, { status: 'False', reason: phase, message });
    return { requeueAfterMs: this.options.progressIntervalMs };
  }

  private async cleanUp(replay: Replay): Promise<ReconcileResult | undefined> {
    const { namespace } = replay.metadata;
    const name = replayJobName(replay);
    await this.jobs.delete(namespace, name);
    const groupId = replayGroupId(this.options.prefix, replay);
    if (!(await deleteGroupWhenEmpty(this.options.kafka, groupId, this.log))) return { requeueAfterMs: this.options.progressIntervalMs };
    const unswitched = replay.status?.job !== undefined && replay.status.phase !== 'Switched' && readModels[replay.spec.service].leavesBehind;
    if (unswitched) {
      const cleanupName = replayJobName(replay, '-cleanup');
      let cleanup = await this.jobs.read(namespace, cleanupName);
      if (!cleanup) {
        const template = await this.podTemplate(namespace, replay.spec.service);
        if (template) {
          cleanup = await this.jobs.create(replayJob(replay, { template, groupId, abandon: true }));
          await this.options.events.record(replay, replayKind, 'Normal', 'CleanupStarted', `job/${cleanupName} drops the unswitched rebuild of ${replay.spec.service}`);
        }
      }
      if (cleanup) {
        const outcome = jobOutcome(cleanup);
        if (outcome === 'running') return { requeueAfterMs: this.options.progressIntervalMs };
        if (outcome === 'failed') this.log.warn({ job: cleanupName }, 'the cleanup job failed; its rebuild stays behind');
        await this.jobs.delete(namespace, cleanupName);
      }
    }
    await removeFinalizer(this.options.client, replay, FINALIZER);
  }

  /** Reads the group's committed offsets against the topics' start and end offsets. */
  private async progress(groupId: string, replay: Replay) {
    const topics = readModels[replay.spec.service].topics.map((t) => this.options.prefix + t);
    const timestamp = replay.spec.from?.position === 'timestamp' && replay.spec.from.timestamp ? new Date(replay.spec.from.timestamp).getTime() : undefined;
    return withAdmin(
      this.options.kafka,
      `reading the lag of ${groupId}`,
      async (admin) => {
        const committed = new Map<string, bigint>();
        for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
          for (const { partition, offset } of partitions) if (BigInt(offset) >= 0n) committed.set(`${topic}/${partition}`, BigInt(offset));
        }
        const positions: PartitionPosition[] = [];
        for (const topic of topics) {
          const starts = timestamp === undefined ? undefined : new Map((await admin.fetchTopicOffsetsByTimestamp(topic, timestamp)).map((p) => [p.partition, BigInt(p.offset)]));
          for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
            const end = BigInt(high);
            const start = starts?.get(partition) ?? BigInt(low);
            positions.push({ topic: topic.slice(this.options.prefix.length), partition, start: start < 0n ? end : start, end, committed: committed.get(`${topic}/${partition}`) });
          }
        }
        return replayProgress(positions);
      },
      { logger: this.log, deadlineMs: 10_000 },
    );
  }

  /** A replay from a timestamp: the group's offsets set to it before the Job's consumer joins. */
  private async startAt(groupId: string, service: keyof typeof readModels, timestamp: string): Promise<void> {
    const at = new Date(timestamp).getTime();
    await withAdmin(
      this.options.kafka,
      `setting ${groupId} to ${timestamp}`,
      async (admin) => {
        for (const topic of readModels[service].topics.map((t) => this.options.prefix + t)) {
          const partitions = (await admin.fetchTopicOffsetsByTimestamp(topic, at)).map(({ partition, offset }) => ({ partition, offset }));
          await admin.setOffsets({ groupId, topic, partitions });
        }
      },
      { logger: this.log, deadlineMs: 30_000 },
    );
  }

  private workloadName(service: string): string {
    return `${this.options.workloadPrefix ?? ''}${service}`;
  }

  private async podTemplate(namespace: string, service: string): Promise<V1PodTemplateSpec | undefined> {
    const name = this.workloadName(service);
    for (const read of [() => this.apps.readNamespacedDeployment({ namespace, name }), () => this.apps.readNamespacedStatefulSet({ namespace, name })]) {
      try {
        return (await read()).spec?.template;
      } catch (error) {
        if (statusCodeOf(error) !== 404) throw error;
      }
    }
    return undefined;
  }

  /** What the Job's pod reported as it ended (its termination message); undefined if it is gone or said nothing. */
  private async jobResult(namespace: string, jobName: string) {
    try {
      return replayResultOf(await this.jobs.pods(namespace, jobName));
    } catch (error) {
      this.log.warn({ err: error, job: jobName }, "could not read the replay pod's result");
      return undefined;
    }
  }

  private async patch(replay: Replay, status: Partial<ReplayStatus>, ready: { status: 'True' | 'False'; reason: string; message: string }): Promise<void> {
    const generation = replay.metadata.generation ?? 1;
    const conditions = setCondition(replay.status?.conditions, { type: 'Ready', ...ready }, generation, new Date());
    const updated = await this.options.client.patchStatusIfChanged(replay, { ...status, observedGeneration: generation, conditions });
    replay.status = updated.status;
  }
}
