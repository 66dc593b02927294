import { eventually, isolatedKafkaEnvironment, requestJson, uniqueName, type ServiceProcess } from '@eventline/testkit';
import { getObject, startOperator, startOperatorCluster, type OperatorCluster } from './operator-fixture';

/** Two operator replicas on one Lease (a real API server): one leads, the other stands by and takes over. */
describe('operator leader election', () => {
  let cluster: OperatorCluster;
  let common: NodeJS.ProcessEnv;
  const replicas: ServiceProcess[] = [];

  beforeAll(async () => {
    ({ common } = await isolatedKafkaEnvironment());
    cluster = await startOperatorCluster(uniqueName('operator-dev-leader'));
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.process.kill('SIGKILL');
    await cluster?.dispose();
  });

  const leaderOf = async (replica: ServiceProcess) => (await requestJson<{ leader: boolean }>(`${replica.url}/operator`)).body.leader;

  it('has exactly one leader; when it dies the standby takes the Lease and reconciles', async () => {
    const [a, b] = await Promise.all(['replica-a', 'replica-b'].map((name) => startOperator(cluster, { ...common, POD_NAME: name })));
    replicas.push(a!, b!);
    const lease = await eventually(
      async () => getObject(cluster, 'lease/eventline-operator'),
      (l) => Boolean(l?.spec?.holderIdentity),
      { what: 'a leader' },
    );
    const holder = lease!.spec.holderIdentity as string;
    const [leader, standby] = holder === 'replica-a' ? [a!, b!] : [b!, a!];
    // Several renewals later, still one leader, and it is the Lease's holder.
    await new Promise((r) => setTimeout(r, 2_000));
    expect([await leaderOf(leader), await leaderOf(standby)]).toEqual([true, false]);
    expect(getObject(cluster, 'lease/eventline-operator')!.spec.holderIdentity).toBe(holder);
    // Both are ready: the standby is a healthy replica.
    for (const replica of [leader, standby]) expect((await requestJson(`${replica.url}/readyz`)).status).toBe(200);

    // Killed without a chance to release the Lease: the standby waits out its duration (3 s), then leads.
    const killedAt = Date.now();
    await leader.process.kill('SIGKILL');
    const taken = await eventually(
      async () => getObject(cluster, 'lease/eventline-operator'),
      (l) => l?.spec?.holderIdentity !== holder,
      { what: 'the standby taking over', timeoutMs: 20_000 },
    );
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(2_000);
    expect(taken!.spec.leaseTransitions).toBeGreaterThanOrEqual(1);
    expect(await leaderOf(standby)).toBe(true);

    // The new leader reconciles: a Redrive of a topic that does not exist fails with the reason.
    expect(cluster.kubectl(['apply', '-f', '-'], 'apiVersion: eventline.dev/v1alpha1\nkind: Redrive\nmetadata: { name: nowhere }\nspec: { topic: no-such-topic }\n').status).toBe(
      0,
    );
    const failed = await eventually(
      async () => getObject(cluster, 'redrive/nowhere'),
      (r) => r?.status?.phase === 'Failed',
      { what: 'the Redrive reconciled by the new leader' },
    );
    expect(failed!.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'TopicNotFound' });
  });
});
