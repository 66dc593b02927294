import type { V1EnvVar, V1Job, V1OwnerReference, V1PodTemplateSpec } from '@kubernetes/client-node';
import { templateJob } from '@eventline/operator-kit';
import type { Redrive } from './types';

export const REDRIVE_LABEL = 'eventline.dev/redrive';
/** The Job's container: its termination message is the run's result (see result.ts). */
export const REDRIVE_CONTAINER = 'redrive';
export const REDRIVE_RESULT_PATH = '/dev/termination-log';
/** The redrive command inside the operator's image (the image keeps each workspace's dist/). */
export const REDRIVE_COMMAND = ['node', 'services/operator/dist/redrive/command.js'];

/** Job names: at most 63 characters, the Redrive's name kept whole when it fits. */
export const redriveJobName = (redrive: Redrive): string => `redrive-${redrive.metadata.name}`.slice(0, 63).replace(/-+$/, '');

export interface RedriveJobOptions {
  /** The operator's own pod template (its Deployment's): image, Kafka address, TLS trust, name prefix. */
  template: V1PodTemplateSpec;
  groupId: string;
  endOffsets: { partition: number; offset: string }[];
  /** The Redrive as the Job's controller (garbage-collected with it). */
  owner: V1OwnerReference;
  /**
   * The Kafka user the Job moves records as (Write on the source topics, Read on their .dlq): its
   * Secret is named after it, as Strimzi's User Operator names it. Empty: the operator's own credentials.
   */
  kafkaUser: string;
  /** Pods the job controller starts before it gives the Job up (a crashed run resumes from Kafka). */
  attempts: number;
  recordsPerTransaction: number;
}

/** The Redrive as the command reads it from its environment: what it moves, and its identity for provenance. */
export interface RedriveOrder {
  namespace: string;
  name: string;
  uid: string;
  spec: Redrive['spec'];
}

/**
 * The Job that moves a Redrive's records: the operator's image and environment with the redrive
 * command, run as the redrive Kafka user; the Redrive, its group and its end offsets in the
 * environment. It needs no Kubernetes API: its progress is read from Kafka, its result from its
 * termination message.
 */
export function redriveJob(redrive: Redrive, options: RedriveJobOptions): V1Job {
  const source = options.template.spec?.containers[0];
  if (!source?.image) throw new Error('the operator pod template has no container image');
  const order: RedriveOrder = { namespace: redrive.metadata.namespace ?? '', name: redrive.metadata.name, uid: redrive.metadata.uid ?? '', spec: redrive.spec };
  const redriveEnv: V1EnvVar[] = [
    { name: 'REDRIVE', value: JSON.stringify(order) },
    { name: 'REDRIVE_GROUP_ID', value: options.groupId },
    { name: 'REDRIVE_END_OFFSETS', value: JSON.stringify(options.endOffsets) },
    { name: 'REDRIVE_RESULT_PATH', value: REDRIVE_RESULT_PATH },
    { name: 'REDRIVE_RECORDS_PER_TRANSACTION', value: String(options.recordsPerTransaction) },
  ];
  const env = (source.env ?? [])
    // The operator's mounted password file is its own user's: the Job authenticates with the variable.
    .filter((e) => !e.name.startsWith('REDRIVE') && e.name !== 'PORT' && !(options.kafkaUser && e.name === 'KAFKA_SASL_PASSWORD_FILE'))
    .map((e) => (options.kafkaUser ? asKafkaUser(e, options.kafkaUser) : e))
    .concat(redriveEnv);
  const labels = { 'app.kubernetes.io/part-of': 'eventline', 'app.kubernetes.io/component': 'redrive', [REDRIVE_LABEL]: redrive.metadata.name };
  return templateJob({
    name: redriveJobName(redrive),
    namespace: redrive.metadata.namespace,
    labels,
    owner: options.owner,
    template: options.template,
    container: REDRIVE_CONTAINER,
    command: REDRIVE_COMMAND,
    env,
    resultPath: REDRIVE_RESULT_PATH,
    backoffLimit: Math.max(0, options.attempts - 1),
    ttlSecondsAfterFinished: 86_400,
  });
}

/** The operator's Kafka credentials swapped for the redrive user's (its name, its Secret's password). */
function asKafkaUser(variable: V1EnvVar, user: string): V1EnvVar {
  if (variable.name === 'KAFKA_SASL_USERNAME') return { name: variable.name, value: user };
  const secret = variable.valueFrom?.secretKeyRef;
  if (variable.name === 'KAFKA_SASL_PASSWORD' && secret) return { name: variable.name, valueFrom: { secretKeyRef: { ...secret, name: user } } };
  return variable;
}
