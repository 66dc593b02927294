import { join } from 'node:path';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { readTopicToEnd } from '@eventline/kafka';
import { createLogger } from '@eventline/observability';
import { redriveLedgerTopic } from '../../src/redrive/ledger';
import {
  kubeTools,
  localKafka,
  runToolOk,
  startNodeProcess,
  startServiceProcess,
  startTestApiServer,
  uniqueName,
  type RunningProcess,
  type ServiceProcess,
  type TestApiServer,
} from '@eventline/testkit';

const readerLogger = createLogger('test-reader', 'warn');
const repoRoot = join(__dirname, '..', '..', '..', '..');
const chart = join(repoRoot, 'charts', 'eventline');

export interface OperatorCluster {
  api: TestApiServer;
  namespace: string;
  /** A kubeconfig of the `operator` ServiceAccount: the chart's Role is all it may do. */
  operatorKubeconfig: string;
  /** The same for each release asked for (`<release>-operator` beside the eventline release's `operator`). */
  operatorKubeconfigs: Record<string, string>;
  kubectl(args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
  dispose(): Promise<void>;
}

/**
 * A real kube-apiserver with the chart's CRDs, a namespace, and the chart's operator ServiceAccount,
 * Role and RoleBinding in it (rendered by helm), so that the operator runs with exactly its RBAC.
 */
export async function startOperatorCluster(namespace: string, releases: string[] = ['eventline']): Promise<OperatorCluster> {
  const api = await startTestApiServer();
  try {
    return await prepare(api, namespace, releases);
  } catch (error) {
    // A set-up that fails leaves no API server behind.
    await api.dispose();
    throw error;
  }
}

async function prepare(api: TestApiServer, namespace: string, releases: string[]): Promise<OperatorCluster> {
  const ok = (args: string[], input?: string) => {
    const result = api.kubectl(args, input);
    if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  ok(['apply', '-f', join(chart, 'crds')]);
  ok(['wait', '--for=condition=Established', '--timeout=60s', 'crd/replays.eventline.dev', 'crd/redrives.eventline.dev']);
  ok(['create', 'namespace', namespace]);
  const operatorKubeconfigs: Record<string, string> = {};
  for (const release of releases) {
    const account = release === 'eventline' ? 'operator' : `${release}-operator`;
    ok(['create', 'serviceaccount', account, '-n', namespace]);
    const rbac = runToolOk(kubeTools().helm, [
      'template',
      release,
      chart,
      '-f',
      join(chart, 'values-kind.yaml'),
      '--namespace',
      namespace,
      '--show-only',
      'templates/operator-rbac.yaml',
    ]);
    ok(['apply', '-n', namespace, '-f', '-'], rbac);
    operatorKubeconfigs[release] = await api.serviceAccountKubeconfig(namespace, account);
  }
  return {
    api,
    namespace,
    operatorKubeconfig: operatorKubeconfigs.eventline ?? Object.values(operatorKubeconfigs)[0]!,
    operatorKubeconfigs,
    kubectl: (args, input) => api.kubectl(['-n', namespace, ...args], input),
    dispose: () => api.dispose(),
  };
}

/**
 * The operator service as a real process, as the operator ServiceAccount, on the test's Kafka names;
 * its redrive ledger topic made first, as the chart's KafkaTopic makes it on Strimzi.
 */
export async function startOperator(cluster: OperatorCluster, env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const admin = localKafka('operator-fixture').admin();
  await admin.connect();
  try {
    const ledger = `${env.KAFKA_NAME_PREFIX ?? ''}${redriveLedgerTopic.name}`;
    if (!(await admin.listTopics()).includes(ledger)) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: ledger, numPartitions: redriveLedgerTopic.partitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
    }
  } finally {
    await admin.disconnect();
  }
  applyOperatorDeployment(cluster, env);
  return startServiceProcess('operator', {
    KUBECONFIG: cluster.operatorKubeconfig,
    WATCH_NAMESPACE: cluster.namespace,
    KAFKA_ENSURE_TOPICS: 'false',
    LEASE_DURATION_SECONDS: '3',
    LEASE_RETRY_MS: '300',
    PROGRESS_INTERVAL_MS: '300',
    ...env,
  });
}

/**
 * The operator's Deployment, as the chart renders its environment (Kafka's address, the names'
 * prefix): no pod runs from it on this API server, but a Redrive's Job copies its pod template.
 */
function applyOperatorDeployment(cluster: OperatorCluster, env: NodeJS.ProcessEnv): void {
  const chartEnv = ['KAFKA_BROKERS', 'KAFKA_NAME_PREFIX', 'SCHEMA_REGISTRY_URL', 'KAFKA_SESSION_TIMEOUT_MS'].filter((name) => env[name] !== undefined);
  const labels = { 'app.kubernetes.io/name': 'operator' };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'operator' },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'operator',
          containers: [{ name: 'operator', image: '127.0.0.1:5000/eventline-operator:local', env: chartEnv.map((name) => ({ name, value: String(env[name]) })) }],
        },
      },
    },
  };
  const applied = cluster.kubectl(['apply', '-f', '-'], JSON.stringify(deployment));
  if (applied.status !== 0) throw new Error(applied.stderr);
}

/** The object as JSON, or undefined when it does not exist. */
export function getObject<T = any>(cluster: OperatorCluster, what: string): T | undefined {
  const result = cluster.kubectl(['get', what, '-o', 'json']);
  if (result.status !== 0) return undefined;
  return JSON.parse(result.stdout) as T;
}

export const readyStatus = (object: { status?: { conditions?: { type: string; status: string }[] } } | undefined): string | undefined =>
  object?.status?.conditions?.find((c) => c.type === 'Ready')?.status;

/** Every record of a topic, read committed from its start through the end offsets it has now (markers included). */
export async function readRecords(kafka: Kafka, topic: string): Promise<KafkaMessage[]> {
  const seen: KafkaMessage[] = [];
  await readTopicToEnd(kafka, topic, (message) => void seen.push(message), { groupId: uniqueName('reader'), logger: readerLogger });
  return seen;
}

/** A Job as the tests read it back from the API server. */
export interface JobObject {
  metadata: { name: string; uid: string; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string; controller: boolean }[] };
  spec: {
    backoffLimit?: number;
    template: { spec: { serviceAccountName?: string; containers: { name: string; command: string[]; env: { name: string; value?: string; valueFrom?: unknown }[] }[] } };
  };
}

export const listJobs = (cluster: OperatorCluster): JobObject[] => JSON.parse(cluster.kubectl(['get', 'jobs', '-o', 'json']).stdout).items as JobObject[];

/**
 * The kubelet's part, for an API server with none: the Job's command with the Job's environment, run
 * from the compiled repository as its image would run it (plus `env`, e.g. a termination-message path
 * of the test's own for /dev/termination-log).
 */
export function runJobCommand(job: JobObject, env: NodeJS.ProcessEnv = {}): RunningProcess {
  const container = job.spec.template.spec.containers[0]!;
  const jobEnv = Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  const [node, ...args] = container.command;
  if (node !== 'node') throw new Error(`job/${job.metadata.name} runs ${node}, not node`);
  return startNodeProcess(args, { ...jobEnv, LOG_LEVEL: 'warn', ...env }, repoRoot);
}

/** The kubelet's record of one of the Job's pods: ended, with its container's termination message. */
export function recordJobPod(cluster: OperatorCluster, job: JobObject, attempt: number, phase: 'Succeeded' | 'Failed', message: string): void {
  const container = job.spec.template.spec.containers[0]!;
  const name = `${job.metadata.name}-${attempt}`;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { 'batch.kubernetes.io/job-name': job.metadata.name, 'job-name': job.metadata.name } },
    spec: {
      serviceAccountName: job.spec.template.spec.serviceAccountName,
      automountServiceAccountToken: false,
      restartPolicy: 'Never',
      containers: [{ name: container.name, image: 'redrive' }],
    },
  };
  const ok = (result: { status: number | null; stderr: string }) => {
    if (result.status !== 0) throw new Error(result.stderr);
  };
  ok(cluster.kubectl(['apply', '-f', '-'], JSON.stringify(pod)));
  const now = new Date(Date.now() + attempt * 1000).toISOString();
  const terminated = { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error', message, startedAt: now, finishedAt: now };
  const status = {
    status: { phase, startTime: now, containerStatuses: [{ name: container.name, image: 'redrive', imageID: '', ready: false, restartCount: 0, state: { terminated } }] },
  };
  ok(cluster.kubectl(['patch', `pod/${name}`, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]));
}

/** The job controller's part: the Job marked complete, or failed (its backoff limit reached). */
export function finishJob(cluster: OperatorCluster, name: string, outcome: 'Complete' | 'Failed'): void {
  const now = new Date().toISOString();
  const condition = (type: string, extra: object = {}) => ({ type, status: 'True', lastTransitionTime: now, lastProbeTime: now, ...extra });
  const status =
    outcome === 'Complete'
      ? { startTime: now, completionTime: now, succeeded: 1, conditions: [condition('SuccessCriteriaMet'), condition('Complete')] }
      : {
          startTime: now,
          failed: (getObject<JobObject>(cluster, `job/${name}`)?.spec.backoffLimit ?? 0) + 1,
          conditions: [
            condition('FailureTarget', { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }),
            condition('Failed', { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }),
          ],
        };
  const result = cluster.kubectl(['patch', `job/${name}`, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  if (result.status !== 0) throw new Error(result.stderr);
}
