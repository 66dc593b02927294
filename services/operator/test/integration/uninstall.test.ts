import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { eventually, isolatedKafkaEnvironment, kubeTools, runToolOk, startNodeProcess, uniqueName, type RunningProcess } from '@eventline/testkit';
import { getObject, readyStatus, startOperator, startOperatorCluster, type OperatorCluster } from './operator-fixture';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const chart = join(repoRoot, 'charts', 'eventline');

/**
 * The chart's pre-delete hook command on a real API server, as the hook's own ServiceAccount (the
 * chart's Role is all it may do): the release's Redrives go through eventline-operator's cleanup,
 * its KafkaTopics and KafkaUsers through their finalizers' controller or, when that is gone, by the
 * finalizers removed; another release's objects stay.
 */
describe("the uninstall hook's teardown", () => {
  let cluster: OperatorCluster;
  let common: NodeJS.ProcessEnv;
  let hookKubeconfig: string;
  const processes: { process: RunningProcess }[] = [];

  beforeAll(async () => {
    ({ common } = await isolatedKafkaEnvironment());
    cluster = await startOperatorCluster(uniqueName('operator-dev-uninstall'));
    const crds = cluster.api.kubectl([
      'apply',
      '-f',
      join(repoRoot, 'k8s', 'strimzi-crds', '043-Crd-kafkatopic.yaml'),
      '-f',
      join(repoRoot, 'k8s', 'strimzi-crds', '044-Crd-kafkauser.yaml'),
    ]);
    if (crds.status !== 0) throw new Error(crds.stderr);
    cluster.api.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/kafkatopics.kafka.strimzi.io', 'crd/kafkausers.kafka.strimzi.io']);
    // The hook's ServiceAccount, Role and RoleBinding as the chart renders them (the Job is what this test runs).
    const rendered = runToolOk(kubeTools().helm, [
      'template',
      'eventline',
      chart,
      '-f',
      join(chart, 'values-kind.yaml'),
      '--namespace',
      cluster.namespace,
      '--show-only',
      'templates/uninstall-hook.yaml',
    ]);
    const rbac = parseAllDocuments(rendered)
      .map((d) => d.toJS() as { kind: string })
      .filter((o) => o && o.kind !== 'Job');
    expect(rbac.map((o) => o.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding']);
    const applied = cluster.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }));
    if (applied.status !== 0) throw new Error(applied.stderr);
    hookKubeconfig = await cluster.api.serviceAccountKubeconfig(cluster.namespace, 'uninstall');
  }, 180_000);

  afterAll(async () => {
    for (const p of processes) await p.process.kill();
    await cluster?.dispose();
  });

  const apply = (manifest: object) => {
    const result = cluster.kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
    if (result.status !== 0) throw new Error(result.stderr);
  };
  const labelled = (release: string) => ({ 'app.kubernetes.io/instance': release });

  it("deletes the release's Redrives through the operator's cleanup, then its KafkaTopics and KafkaUsers and left hook Jobs, and leaves another release's alone", async () => {
    const operator = await startOperator(cluster, { ...common, POD_NAME: 'operator-uninstall', RELEASE_NAME: 'eventline' });
    processes.push(operator);
    // A Redrive of a topic with no .dlq ends Failed at once, holding the operator's finalizer.
    apply({ apiVersion: 'eventline.dev/v1alpha1', kind: 'Redrive', metadata: { name: 'nothing-back' }, spec: { topic: 'nothing' } });
    await eventually(
      async () => getObject(cluster, 'redrive/nothing-back'),
      (r) => r?.status?.phase === 'Failed' && readyStatus(r) === 'False',
      { what: 'the Redrive Failed with its finalizer', timeoutMs: 60_000 },
    );
    expect(getObject(cluster, 'redrive/nothing-back')!.metadata.finalizers).toEqual(['eventline.dev/cleanup']);
    apply({ apiVersion: 'eventline.dev/v1alpha1', kind: 'Redrive', metadata: { name: 'theirs', labels: labelled('other') }, spec: { topic: 'nothing' } });
    // KafkaTopics and a KafkaUser with the topic operator's finalizer, and no Strimzi running to release it.
    const topic = (name: string, release: string) => ({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: { name, labels: { ...labelled(release), 'strimzi.io/cluster': 'eventline' }, finalizers: ['strimzi.io/topic-operator'] },
      spec: { topicName: name, partitions: 1, replicas: 1 },
    });
    apply(topic('orders', 'eventline'));
    apply(topic('their-orders', 'other'));
    apply({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaUser',
      metadata: { name: 'order-service', labels: { ...labelled('eventline'), 'strimzi.io/cluster': 'eventline' } },
      spec: { authentication: { type: 'scram-sha-512' } },
    });

    // A schemas hook Job a failed upgrade left (Helm keeps it), this release's and another's.
    const hookJob = (name: string, release: string) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, labels: { ...labelled(release), 'app.kubernetes.io/name': 'schemas' } },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'schemas', image: 'schemas' }] } } },
    });
    apply(hookJob('eventline-schemas', 'eventline'));
    apply(hookJob('other-schemas', 'other'));

    const hook = startNodeProcess(
      ['services/operator/dist/uninstall/command.js'],
      { KUBECONFIG: hookKubeconfig, WATCH_NAMESPACE: cluster.namespace, RELEASE_NAME: 'eventline', TEARDOWN_STRIMZI: 'true', TEARDOWN_STAGE_SECONDS: '3', LOG_LEVEL: 'info' },
      repoRoot,
    );
    processes.push({ process: hook });
    expect(await hook.exited).toBe(0);
    const reports = hook.lines.map((line) => JSON.parse(line) as { msg: string; deleted?: number; forced?: string[]; kinds?: string[] }).filter((l) => l.kinds);
    // The operator released its Redrive in time; nobody released the topic: its finalizer was removed.
    expect(reports.map(({ kinds, deleted, forced }) => ({ kinds, deleted, forced }))).toEqual([
      { kinds: ['replays', 'redrives'], deleted: 1, forced: [] },
      { kinds: ['kafkatopics', 'kafkausers'], deleted: 2, forced: ['kafkatopics/orders'] },
    ]);
    expect(getObject(cluster, 'redrive/nothing-back')).toBeUndefined();
    expect(getObject(cluster, 'kafkatopic/orders')).toBeUndefined();
    expect(getObject(cluster, 'kafkauser/order-service')).toBeUndefined();
    expect(getObject(cluster, 'job/eventline-schemas')).toBeUndefined();
    expect(hook.lines.map((line) => JSON.parse(line) as { hookJobs?: string[] }).find((l) => l.hookJobs)?.hookJobs).toEqual(['eventline-schemas']);
    expect(getObject(cluster, 'job/other-schemas')).toBeDefined();
    expect(getObject(cluster, 'redrive/theirs')).toBeDefined();
    expect(getObject(cluster, 'kafkatopic/their-orders')).toBeDefined();
    await operator.process.kill();
  });
});
