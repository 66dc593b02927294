import { hostname } from 'node:os';
import { bool, int, str } from '@eventline/config';
import { podNamespace } from '@eventline/operator-kit';

/** The operator's own settings, beside the runtime's base ones (Kafka, log level, port). */
export const operatorSettings = {
  /** The namespace whose Replays and Redrives it reconciles (the chart: its own). */
  WATCH_NAMESPACE: str({ default: podNamespace() ?? 'default' }),
  /** This replica's identity in the leader Lease (the chart: the pod name). */
  POD_NAME: str({ default: hostname() }),
  LEASE_NAME: str({ default: 'eventline-operator' }),
  /**
   * The Helm release it belongs to (the chart: its own). It reconciles the Replays and Redrives
   * labelled app.kubernetes.io/instance=<release>, and unlabelled ones when RELEASE_TAKES_UNLABELLED.
   * Empty: every one of the namespace.
   */
  RELEASE_NAME: str({ default: '' }),
  RELEASE_TAKES_UNLABELLED: bool(true),
  /** Prepended to a Replay's service to name its Deployment or StatefulSet (the chart's release prefix). */
  WORKLOAD_NAME_PREFIX: str({ default: '' }),
  LEASE_DURATION_SECONDS: int({ min: 2, max: 300, default: 15 }),
  LEASE_RETRY_MS: int({ min: 100, max: 60_000, default: 2_000 }),
  /** Records a Redrive's Job moves per Kafka transaction. */
  REDRIVE_RECORDS_PER_TRANSACTION: int({ min: 1, max: 10_000, default: 100 }),
  /**
   * The Kafka user a Redrive's Job runs as (the chart: `<release>-operator-redrive`, with Write on the
   * topics it moves records to); its Secret, of the same name, holds the password. Empty: the operator's own.
   */
  REDRIVE_KAFKA_USER: str({ default: '' }),
  /** Pods a Redrive's Job may start (a crashed one resumes where Kafka says) before the Redrive is Failed. */
  REDRIVE_ATTEMPTS: int({ min: 1, max: 20, default: 3 }),
  /** How often a running Replay's or Redrive's progress is read from Kafka into its status. */
  PROGRESS_INTERVAL_MS: int({ min: 100, max: 60_000, default: 2_000 }),
  /** Every Replay and Redrive is reconciled again this often, changed or not. */
  RESYNC_SECONDS: int({ min: 1, max: 3600, default: 60 }),
};
