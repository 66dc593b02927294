import { join } from 'node:path';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { readTopicToEnd } from '@eventline/kafka';
import { createLogger } from '@eventline/observability';
import { redriveLedgerTopic } from '../../src/redrive/ledger';
import { kubeTools, localKafka, runToolOk, startServiceProcess, startTestApiServer, uniqueName, type ServiceProcess, type TestApiServer } from '@eventline/testkit';

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
