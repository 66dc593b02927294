import { BatchV1Api, CoreV1Api, type KubeConfig, type V1EnvVar, type V1Job, type V1OwnerReference, type V1Pod, type V1PodTemplateSpec } from '@kubernetes/client-node';
import { statusCodeOf } from './api-errors';

export type JobOutcome = 'running' | 'complete' | 'failed';

export function jobOutcome(job: V1Job): JobOutcome {
  const conditions = job.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return 'complete';
  if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) return 'failed';
  return 'running';
}

/** Why the job controller gave the Job up (its Failed condition), when it did. */
export function jobFailure(job: V1Job): string | undefined {
  const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  return failed ? [failed.reason, failed.message].filter(Boolean).join(': ') || 'failed' : undefined;
}

/** What each of the pods' `container` said as it ended (its termination message), the newest pod first. */
export function terminationMessages(pods: readonly V1Pod[], container: string, phase?: 'Succeeded' | 'Failed'): string[] {
  const started = (pod: V1Pod) => new Date(pod.status?.startTime ?? pod.metadata?.creationTimestamp ?? 0).getTime();
  return [...pods]
    .filter((pod) => phase === undefined || pod.status?.phase === phase)
    .sort((a, b) => started(b) - started(a))
    .map((pod) => pod.status?.containerStatuses?.find((c) => c.name === container)?.state?.terminated?.message)
    .filter((message): message is string => typeof message === 'string' && message.length > 0);
}

/** The Jobs a controller runs for its resources: read, created once (adopted after a crash), deleted with their pods. */
export class JobClient {
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async read(namespace: string, name: string): Promise<V1Job | undefined> {
    try {
      return await this.batch.readNamespacedJob({ namespace, name });
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Creates the Job, or returns the one a predecessor (a killed operator) already created. */
  async create(job: V1Job): Promise<V1Job> {
    const namespace = job.metadata!.namespace!;
    try {
      return await this.batch.createNamespacedJob({ namespace, body: job });
    } catch (error) {
      if (statusCodeOf(error) !== 409) throw error;
      return this.batch.readNamespacedJob({ namespace, name: job.metadata!.name! });
    }
  }

  /** Deletes the Job and, in the background, its pods; a Job already gone is fine. */
  async delete(namespace: string, name: string): Promise<void> {
    try {
      await this.batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' });
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw error;
    }
  }

  list(namespace: string, labelSelector: string) {
    return this.batch.listNamespacedJob({ namespace, labelSelector });
  }

  async pods(namespace: string, jobName: string): Promise<V1Pod[]> {
    return (await this.core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${jobName}` })).items;
  }
}

export interface TemplateJobOptions {
  name: string;
  namespace: string | undefined;
  labels: Record<string, string>;
  /** The resource the Job works for, as its controller (garbage collection); none: the caller deletes it. */
  owner?: V1OwnerReference;
  /** A workload's pod template: the Job keeps its image, environment sources, volumes, security and resources. */
  template: V1PodTemplateSpec;
  container: string;
  command: string[];
  env: V1EnvVar[];
  /** The file whose content becomes the pod's termination message: the run's result. */
  resultPath: string;
  backoffLimit: number;
  ttlSecondsAfterFinished?: number;
}

/**
 * A Job that runs another command of a workload's image, in the workload's own setting (its service
 * account, volumes, security context, resources), with no Kubernetes API token of its own; what it
 * writes to `resultPath` is its pod's termination message.
 */
export function templateJob(options: TemplateJobOptions): V1Job {
  const podSpec = options.template.spec;
  const source = podSpec?.containers[0];
  if (!source?.image) throw new Error(`the pod template for job ${options.name} has no container image`);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: options.name, namespace: options.namespace, labels: options.labels, ownerReferences: options.owner ? [options.owner] : undefined },
    spec: {
      backoffLimit: options.backoffLimit,
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished,
      template: {
        metadata: { labels: options.labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: podSpec?.serviceAccountName,
          automountServiceAccountToken: false,
          securityContext: podSpec?.securityContext,
          volumes: podSpec?.volumes,
          containers: [
            {
              name: options.container,
              image: source.image,
              imagePullPolicy: source.imagePullPolicy,
              command: options.command,
              terminationMessagePath: options.resultPath,
              terminationMessagePolicy: 'File',
              env: options.env,
              envFrom: source.envFrom,
              resources: source.resources,
              securityContext: source.securityContext,
              volumeMounts: source.volumeMounts,
            },
          ],
        },
      },
    },
  };
}
