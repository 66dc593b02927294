import type { Kafka } from 'kafkajs';
import type { Logger } from '@eventline/observability';
import { EventRecorder, JobClient, LeaderElector, ownedByRelease, ResourceClient, ResourceController, type KubeConfig, type ReleaseScope } from '@eventline/operator-kit';
import type { Worker } from '@eventline/runtime';
import { redriveKind, replayKind } from './kinds';
import { REDRIVE_LABEL } from './redrive/job';
import { RedriveReconciler } from './redrive/reconciler';
import type { RedriveSpec, RedriveStatus } from './redrive/types';
import { REPLAY_LABEL } from './replay/job';
import { ReplayReconciler } from './replay/reconciler';
import type { ReplaySpec, ReplayStatus } from './replay/types';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  kafka: Kafka;
  logger: Logger;
  namespace: string;
  identity: string;
  leaseName: string;
  /** Which of the namespace's Replays and Redrives are this operator's. */
  release: ReleaseScope;
  /** Prepended to a Replay's service to name its workload. */
  workloadPrefix: string;
  leaseDurationSeconds: number;
  leaseRetryMs: number;
  prefix: string;
  progressIntervalMs: number;
  resyncMs: number;
  redriveRecordsPerTransaction: number;
  /** See RedriveReconcilerOptions. */
  redriveKafkaUser: string;
  redriveAttempts: number;
}

/**
 * The operator as a runtime Worker: every replica campaigns for the Lease; the leader runs the
 * controllers, a replica that loses the lead stops them (and the runs they started).
 */
export class Operator implements Worker {
  readonly name = 'operator';
  private readonly elector: LeaderElector;
  private readonly redrives: ResourceController<RedriveSpec, RedriveStatus>;
  private readonly replays: ResourceController<ReplaySpec, ReplayStatus>;
  private started = false;

  constructor(private readonly options: OperatorOptions) {
    const { kubeConfig, kafka, logger, namespace, prefix } = options;
    const events = new EventRecorder(kubeConfig, 'eventline-operator', logger);
    const owns = (object: { metadata?: { labels?: Record<string, string> } }) => ownedByRelease(options.release, object);
    const jobs = new JobClient(kubeConfig);
    // A Job that completes or fails moves its Replay or Redrive on at once, not at the next progress poll.
    const ownedJobs = (label: string) => [{ path: `/apis/batch/v1/namespaces/${namespace}/jobs`, labelSelector: label, list: () => jobs.list(namespace, label) }];
    const redriveClient = new ResourceClient<RedriveSpec, RedriveStatus>(kubeConfig, redriveKind);
    const redriveReconciler = new RedriveReconciler({
      kubeConfig,
      kafka,
      client: redriveClient,
      events,
      logger,
      prefix,
      workloadPrefix: options.workloadPrefix,
      kafkaUser: options.redriveKafkaUser,
      attempts: options.redriveAttempts,
      progressIntervalMs: options.progressIntervalMs,
      recordsPerTransaction: options.redriveRecordsPerTransaction,
      redrives: () => this.redrives.cached(),
    });
    this.redrives = new ResourceController({
      kubeConfig,
      client: redriveClient,
      namespace,
      logger,
      resyncMs: options.resyncMs,
      reconcile: (redrive) => redriveReconciler.reconcile(redrive),
      owns,
      ownedObjects: ownedJobs(REDRIVE_LABEL),
    });
    const replayClient = new ResourceClient<ReplaySpec, ReplayStatus>(kubeConfig, replayKind);
    const replayReconciler = new ReplayReconciler({
      kubeConfig,
      kafka,
      client: replayClient,
      events,
      logger,
      prefix,
      workloadPrefix: options.workloadPrefix,
      progressIntervalMs: options.progressIntervalMs,
      replays: () => this.replays.cached(),
      finished: (service) => {
        for (const waiting of this.replays.cached()) if (waiting.spec.service === service) this.replays.enqueue(waiting);
      },
    });
    this.replays = new ResourceController({
      kubeConfig,
      client: replayClient,
      namespace,
      logger,
      resyncMs: options.resyncMs,
      reconcile: (replay) => replayReconciler.reconcile(replay),
      owns,
      ownedObjects: ownedJobs(REPLAY_LABEL),
    });
    this.elector = new LeaderElector({
      kubeConfig,
      namespace,
      logger,
      leaseName: options.leaseName,
      identity: options.identity,
      leaseDurationSeconds: options.leaseDurationSeconds,
      retryPeriodMs: options.leaseRetryMs,
      renewDeadlineMs: Math.floor((options.leaseDurationSeconds * 1000 * 2) / 3),
      onStartedLeading: () => this.lead(),
      onStoppedLeading: () => this.follow(),
    });
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  async start(): Promise<void> {
    this.started = true;
    this.elector.start();
  }

  async stop(): Promise<void> {
    await this.elector.stop();
    await this.follow();
  }

  /** A standby replica is ready too: it takes over when the leader goes. */
  isReady(): boolean {
    return this.started && (!this.elector.isLeader() || (this.redrives.isSynced() && this.replays.isSynced()));
  }

  private async lead(): Promise<void> {
    this.options.logger.info({ identity: this.options.identity }, 'leading: starting the controllers');
    await this.redrives.start();
    await this.replays.start();
  }

  private async follow(): Promise<void> {
    await Promise.all([this.redrives.stop(), this.replays.stop()]);
  }
}
