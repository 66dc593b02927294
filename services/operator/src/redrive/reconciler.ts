import { AppsV1Api, type KubeConfig, type V1Job, type V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Kafka } from 'kafkajs';
import { deadLetterTopic, withAdmin } from '@eventline/kafka';
import type { Logger } from '@eventline/observability';
import {
  controllerReference,
  ensureFinalizer,
  isBeingDeleted,
  JobClient,
  jobFailure,
  jobOutcome,
  removeFinalizer,
  setCondition,
  statusCodeOf,
  terminationMessages,
  type EventRecorder,
  type ReconcileResult,
  type ResourceClient,
} from '@eventline/operator-kit';
import { deleteGroupWhenEmpty } from '../consumer-groups';
import { FINALIZER, redriveKind } from '../kinds';
import { REDRIVE_CONTAINER, redriveJob, redriveJobName } from './job';
import { committedPositions, noCounts, totalCounts, type RedriveCounts } from './progress';
import { decodeRedriveResult, type RedriveResult } from './result';
import { redriveRunnerFor } from './runner';
import type { Redrive, RedriveSpec, RedriveStatus } from './types';

export interface RedriveReconcilerOptions {
  kubeConfig: KubeConfig;
  kafka: Kafka;
  client: ResourceClient<RedriveSpec, RedriveStatus>;
  events: EventRecorder;
  logger: Logger;
  prefix: string;
  /** The operator's Deployment is `<workloadPrefix>operator`: its pod template is the Job's. */
  workloadPrefix?: string;
  /** The Kafka user the Jobs run as (its Secret carries the password); empty: the operator's own. */
  kafkaUser: string;
  /** Pods a Redrive's Job may start before the Redrive is Failed. */
  attempts: number;
  recordsPerTransaction: number;
  /** How often a running Redrive's counts are read from Kafka into its status. */
  progressIntervalMs: number;
  /** The Redrives the informer holds: to run one per topic at a time. */
  redrives: () => readonly Redrive[];
}

/** The consumer group (and transactional id) of a Redrive on its .dlq: one per Redrive object. */
export const redriveGroupId = (prefix: string, redrive: Redrive): string => `${prefix}operator.redrive-${redrive.metadata.uid}`;

type Ready = { status: 'True' | 'False'; reason: string; message: string };

/**
 * Redrive: Pending → Running (the .dlq's end offsets fixed in status; a Job of the operator's image,
 * owned by the Redrive, moves the records; its counts read from what the Job committed in Kafka) →
 * Completed, or Failed once the Job has failed `attempts` times. Deleting a Redrive deletes its Job
 * and its consumer group.
 */
export class RedriveReconciler {
  private readonly jobs: JobClient;
  private readonly apps: AppsV1Api;
  private readonly log: Logger;

  constructor(private readonly options: RedriveReconcilerOptions) {
    this.jobs = new JobClient(options.kubeConfig);
    this.apps = options.kubeConfig.makeApiClient(AppsV1Api);
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
    const dlq = deadLetterTopic(this.options.prefix + redrive.spec.topic);

    const runner = redriveRunnerFor(this.options.redrives(), redrive.spec.topic);
    if (runner && runner.metadata.uid !== redrive.metadata.uid && status.phase !== 'Running') {
      const message = `waits for redrive/${runner.metadata.name}: one Redrive of ${redrive.spec.topic} runs at a time`;
      if (status.phase !== 'Pending' || status.conditions?.find((c) => c.type === 'Ready')?.message !== message) {
        await this.patch(redrive, { phase: 'Pending' }, { status: 'False', reason: 'Waiting', message });
        await this.options.events.record(redrive, redriveKind, 'Normal', 'Waiting', message);
      }
      return { requeueAfterMs: this.options.progressIntervalMs };
    }

    let job = await this.jobs.read(redrive.metadata.namespace ?? '', redriveJobName(redrive));
    if (!job) {
      const template = await this.operatorPodTemplate(redrive.metadata.namespace ?? '');
      if (!template) {
        const message = `no Deployment named ${this.operatorWorkload()} in this namespace: its pod template is the redrive Job's`;
        await this.patch(redrive, { phase: 'Pending' }, { status: 'False', reason: 'OperatorWorkloadNotFound', message });
        return { requeueAfterMs: 10_000 };
      }
      let endOffsets = status.endOffsets;
      if (!endOffsets) {
        const ends = await this.dlqEndOffsets(dlq);
        if (!ends) {
          await this.fail(redrive, {}, 'TopicNotFound', `topic ${dlq} does not exist`);
          return;
        }
        endOffsets = ends;
        const below = endOffsets.map((e) => `${e.partition}:${e.offset}`).join(', ');
        await this.patch(
          redrive,
          { phase: 'Running', startTime: new Date().toISOString(), endOffsets, consumerGroup: groupId, ...this.countsStatus(redrive, noCounts()) },
          { status: 'False', reason: 'Running', message: `moving records of ${dlq} below offsets ${below}` },
        );
        await this.options.events.record(
          redrive,
          redriveKind,
          'Normal',
          'Started',
          `${redrive.spec.dryRun ? 'counting' : 'moving'} records of ${dlq} back to ${redrive.spec.topic}`,
        );
      }
      job = await this.jobs.create(
        redriveJob(redrive, {
          template,
          groupId,
          endOffsets,
          owner: controllerReference(redrive, redriveKind),
          kafkaUser: this.options.kafkaUser,
          attempts: this.options.attempts,
          recordsPerTransaction: this.options.recordsPerTransaction,
        }),
      );
      await this.options.events.record(redrive, redriveKind, 'Normal', 'JobCreated', `job/${job.metadata?.name} moves the records under group ${groupId}`);
    }

    const outcome = jobOutcome(job);
    const committed = redrive.spec.dryRun ? undefined : await this.committedCounts(groupId, dlq);
    const base = { job: job.metadata?.name, consumerGroup: groupId };
    if (outcome === 'running') {
      await this.patch(
        redrive,
        { ...base, ...(committed ? this.countsStatus(redrive, committed) : {}) },
        { status: 'False', reason: 'Running', message: `job/${job.metadata?.name} moves records` },
      );
      return { requeueAfterMs: this.options.progressIntervalMs };
    }
    const results = await this.jobResults(job);
    if (outcome === 'failed') {
      const said = results.find((r): r is { error: string } => 'error' in r)?.error;
      const message = `job/${job.metadata?.name} failed ${this.options.attempts} time(s)${said ? `: ${said}` : ''} (${jobFailure(job) ?? 'failed'})`;
      await this.fail(redrive, { ...base, ...(committed ? this.countsStatus(redrive, committed) : {}) }, 'JobFailed', message);
      return;
    }
    // Moved records are counted from what Kafka committed with them; a dry run commits nothing, its pod says.
    const reported = results.find((r): r is { counts: RedriveCounts } => 'counts' in r)?.counts;
    const counts = committed ?? reported ?? noCounts();
    const summary = this.describe(redrive, counts);
    await this.patch(
      redrive,
      { ...base, ...this.countsStatus(redrive, counts), phase: 'Completed', completionTime: new Date().toISOString() },
      { status: 'True', reason: 'Completed', message: summary },
    );
    await this.options.events.record(redrive, redriveKind, 'Normal', 'Completed', summary);
  }

  private async cleanUp(redrive: Redrive): Promise<ReconcileResult | undefined> {
    await this.jobs.delete(redrive.metadata.namespace ?? '', redriveJobName(redrive));
    const groupId = redriveGroupId(this.options.prefix, redrive);
    // A dry run killed midway leaves its own group behind.
    for (const group of [groupId, `${groupId}.dry-run`]) {
      if (!(await deleteGroupWhenEmpty(this.options.kafka, group, this.log))) return { requeueAfterMs: this.options.progressIntervalMs };
    }
    await removeFinalizer(this.options.client, redrive, FINALIZER);
  }

  private operatorWorkload(): string {
    return `${this.options.workloadPrefix ?? ''}operator`;
  }

  private async operatorPodTemplate(namespace: string): Promise<V1PodTemplateSpec | undefined> {
    try {
      return (await this.apps.readNamespacedDeployment({ namespace, name: this.operatorWorkload() })).spec?.template;
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
  }

  private async committedCounts(groupId: string, dlq: string): Promise<RedriveCounts | undefined> {
    try {
      return totalCounts(await committedPositions(this.options.kafka, groupId, dlq, { logger: this.log, deadlineMs: 10_000 }));
    } catch (error) {
      this.log.warn({ err: error, groupId }, "could not read the redrive group's offsets");
      return undefined;
    }
  }

  /** What the Job's pods said as they ended, the newest first. */
  private async jobResults(job: V1Job): Promise<RedriveResult[]> {
    try {
      const pods = await this.jobs.pods(job.metadata?.namespace ?? '', job.metadata?.name ?? '');
      return terminationMessages(pods, REDRIVE_CONTAINER)
        .map(decodeRedriveResult)
        .filter((r): r is RedriveResult => r !== undefined);
    } catch (error) {
      this.log.warn({ err: error, job: job.metadata?.name }, "could not read the redrive pods' results");
      return [];
    }
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

  private async fail(redrive: Redrive, status: Partial<RedriveStatus>, reason: string, message: string): Promise<void> {
    await this.patch(redrive, { ...status, phase: 'Failed', completionTime: new Date().toISOString() }, { status: 'False', reason, message });
    await this.options.events.record(redrive, redriveKind, 'Warning', reason, message);
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

  private async patch(redrive: Redrive, status: Partial<RedriveStatus>, ready: Ready): Promise<void> {
    const generation = redrive.metadata.generation ?? 1;
    const conditions = setCondition(redrive.status?.conditions, { type: 'Ready', ...ready }, generation, new Date());
    const updated = await this.options.client.patchStatusIfChanged(redrive, { ...status, observedGeneration: generation, conditions });
    redrive.status = updated.status;
  }
}
