import { eventually, isolatedKafkaEnvironment, uniqueName, type ServiceProcess } from '@eventline/testkit';
import { getObject, startOperator, startOperatorCluster, type OperatorCluster } from './operator-fixture';

/**
 * Two releases in one namespace (a real API server, each operator with its own release's RBAC): the
 * eventline release's operator takes the unlabelled Replays, shop's takes those labelled for shop,
 * and each looks for the service's workload under its own release's prefix.
 */
describe('operators of two releases in one namespace', () => {
  let cluster: OperatorCluster;
  const operators: ServiceProcess[] = [];

  beforeAll(async () => {
    const { common } = await isolatedKafkaEnvironment();
    cluster = await startOperatorCluster(uniqueName('operator-two-releases'), ['eventline', 'shop']);
    const shared = { ...common, RESYNC_SECONDS: '1' };
    operators.push(
      await startOperator(cluster, { ...shared, POD_NAME: 'eventline-0', RELEASE_NAME: 'eventline' }),
      await startOperator(cluster, {
        ...shared,
        KUBECONFIG: cluster.operatorKubeconfigs.shop,
        POD_NAME: 'shop-0',
        RELEASE_NAME: 'shop',
        RELEASE_TAKES_UNLABELLED: 'false',
        WORKLOAD_NAME_PREFIX: 'shop-',
        LEASE_NAME: 'shop-eventline-operator',
      }),
    );
  });

  afterAll(async () => {
    for (const operator of operators) await operator.process.kill('SIGKILL');
    await cluster?.dispose();
  });

  const readyMessage = (name: string): string | undefined => getObject(cluster, `replay/${name}`)?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready')?.message;

  it("gives each Replay to its own release's operator, which looks for the workload under its prefix", async () => {
    const replay = (name: string, labels: string) =>
      cluster.kubectl(
        ['apply', '-f', '-'],
        `apiVersion: eventline.dev/v1alpha1\nkind: Replay\nmetadata: { name: ${name}, labels: { ${labels} } }\nspec: { service: cart-query }\n`,
      );
    expect(replay('unlabelled', '').status).toBe(0);
    expect(replay('for-shop', 'app.kubernetes.io/instance: shop').status).toBe(0);

    // Neither release runs cart-query here: each operator says which workload it looked for.
    await eventually(
      async () => [readyMessage('unlabelled'), readyMessage('for-shop')],
      ([unlabelled, forShop]) =>
        unlabelled === 'no Deployment or StatefulSet named cart-query in this namespace' && forShop === 'no Deployment or StatefulSet named shop-cart-query in this namespace',
      { what: 'both Replays reconciled by their own release', timeoutMs: 30_000 },
    );
    // Both leaders hold their own Lease, each under its own release's name.
    expect(getObject(cluster, 'lease/eventline-operator')?.spec?.holderIdentity).toBe('eventline-0');
    expect(getObject(cluster, 'lease/shop-eventline-operator')?.spec?.holderIdentity).toBe('shop-0');
    // Each operator resyncs every second: an operator reconciling the other's Replay would have
    // rewritten its message by now.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect([readyMessage('unlabelled'), readyMessage('for-shop')]).toEqual([
      'no Deployment or StatefulSet named cart-query in this namespace',
      'no Deployment or StatefulSet named shop-cart-query in this namespace',
    ]);
  });
});
