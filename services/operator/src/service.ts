import { defaultKubeConfig } from '@eventline/operator-kit';
import type { ServiceDefinition } from '@eventline/runtime';
import { Operator } from './operator';
import { redriveLedgerTopic } from './redrive/ledger';
import { operatorSettings } from './settings';

/**
 * eventline-operator: a thin service on the runtime (logs, metrics, health, graceful shutdown) whose
 * one worker reconciles Replays and Redrives while it holds the leader Lease.
 */
export function operatorService(): ServiceDefinition<typeof operatorSettings> {
  let operator: Operator | undefined;
  return {
    name: 'operator',
    settings: operatorSettings,
    ownTopics: [redriveLedgerTopic],
    // Its Redrive Jobs move records under their own Kafka user; the operator's may write nothing.
    publishes: false,
    workers: ({ settings, kafka, logger }) => {
      operator = new Operator({
        kubeConfig: defaultKubeConfig(),
        kafka,
        logger,
        namespace: settings.WATCH_NAMESPACE,
        identity: settings.POD_NAME,
        leaseName: settings.LEASE_NAME,
        release: { release: settings.RELEASE_NAME, takeUnlabelled: settings.RELEASE_TAKES_UNLABELLED },
        workloadPrefix: settings.WORKLOAD_NAME_PREFIX,
        leaseDurationSeconds: settings.LEASE_DURATION_SECONDS,
        leaseRetryMs: settings.LEASE_RETRY_MS,
        prefix: settings.KAFKA_NAME_PREFIX,
        progressIntervalMs: settings.PROGRESS_INTERVAL_MS,
        resyncMs: settings.RESYNC_SECONDS * 1000,
        redriveRecordsPerTransaction: settings.REDRIVE_RECORDS_PER_TRANSACTION,
        redriveKafkaUser: settings.REDRIVE_KAFKA_USER,
        redriveAttempts: settings.REDRIVE_ATTEMPTS,
      });
      return [operator];
    },
    routes: (router, { settings }) => {
      router.get('/operator', (ctx) => {
        ctx.body = { identity: settings.POD_NAME, namespace: settings.WATCH_NAMESPACE, leader: operator?.isLeader() ?? false };
      });
    },
  };
}
