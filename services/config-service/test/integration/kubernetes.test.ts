import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { RemoteConfig, type RemoteSettings } from '@eventline/config';
import { createLogger } from '@eventline/observability';
import { eventually, kubeTools, requestJson, runToolOk, startTestApiServer, startTsProcess, type RunningProcess, type TestApiServer } from '@eventline/testkit';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const namespace = 'eventline';
const silent = createLogger('config-service-test', 'silent');

function configMap(name: string, service: string | undefined, data: Record<string, string>, ns = namespace) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, labels: service ? { 'eventline.dev/config-for': service } : {} },
    data,
  });
}

describe("config-service on a real kube-apiserver, with the chart's ServiceAccount and Role", () => {
  let server: TestApiServer;
  let service: RunningProcess;
  let url: string;
  const clients: RemoteConfig[] = [];

  const kubectl = (args: string[], input?: string) => {
    const result = server.kubectl(args, input);
    if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const get = (name: string) => requestJson(`${url}/config/${name}`);
  const settingsOf = async (name: string) => {
    const response = await get(name);
    return response.status === 200 ? (response.body.settings as RemoteSettings) : response.status;
  };

  beforeAll(async () => {
    // Watches expire every 3-6 s and history is compacted as often: over this suite the informer
    // resumes expired watches and relists after 410 Gone many times.
    server = await startTestApiServer({ watchExpirySeconds: 3 });
    kubectl(['create', 'namespace', namespace]);
    kubectl(['create', 'namespace', 'elsewhere']);
    // The chart's own objects: config-service's ServiceAccount, Role and RoleBinding, and the
    // ConfigMap it ships for user-service.
    const rendered = runToolOk(kubeTools().helm, [
      'template',
      'eventline',
      join(repoRoot, 'charts', 'eventline'),
      '-f',
      join(repoRoot, 'charts', 'eventline', 'values-kind.yaml'),
      '--namespace',
      namespace,
    ]);
    const wanted = parseAllDocuments(rendered)
      .map((doc) => doc.toJS() as { kind: string; metadata: { name: string } })
      .filter(
        (o) =>
          o &&
          ((['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind) && o.metadata.name === 'config-service') ||
            (o.kind === 'ConfigMap' && o.metadata.name === 'user-service-config')),
      );
    expect(wanted.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Role', 'RoleBinding', 'ServiceAccount']);
    kubectl(['apply', '-n', namespace, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: wanted }));

    const kubeconfig = await server.serviceAccountKubeconfig(namespace, 'config-service');
    service = startTsProcess(join(repoRoot, 'services', 'config-service', 'src', 'main.ts'), {
      KUBECONFIG: kubeconfig,
      CONFIG_SOURCE: 'kubernetes',
      NAMESPACE: namespace,
      PORT: '0',
      RESYNC_SECONDS: '2',
      LOG_LEVEL: 'info',
    });
    const line = await service.waitForLine(/"msg":"config-service serving"/);
    url = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await service?.kill('SIGTERM');
    await server?.dispose();
  });

  it('serves what the chart ships at start, with an ETag', async () => {
    const response = await fetch(`${url}/config/user-service`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      service: 'user-service',
      settings: { LOG_LEVEL: 'info' },
      sources: [`configmap/${namespace}/user-service-config`],
      version: response.headers.get('etag'),
    });
    expect((await requestJson(`${url}/readyz`)).status).toBe(200);
  });

  it('follows create, update and delete of a labelled ConfigMap, in GET and in the watch, ignoring the rest', async () => {
    const client = new RemoteConfig({ baseUrl: url, service: 'cart-query', logger: silent, retryMinMs: 100 });
    clients.push(client);
    const seen: RemoteSettings[] = [];
    client.onChange((settings) => seen.push(settings));
    await client.start();
    await eventually(async () => client.isConnected(), Boolean);
    expect((await get('cart-query')).status).toBe(404);

    kubectl(['apply', '-f', '-'], configMap('cart-query-config', 'cart-query', { LOG_LEVEL: 'debug', CONSUMER_CONCURRENCY: '2' }));
    // Neither an unlabelled ConfigMap nor one in another namespace is served.
    kubectl(['apply', '-f', '-'], configMap('cart-query-unlabelled', undefined, { LOG_LEVEL: 'trace' }));
    kubectl(['apply', '-f', '-'], configMap('cart-query-config', 'cart-query', { LOG_LEVEL: 'trace' }, 'elsewhere'));
    await eventually(
      () => settingsOf('cart-query'),
      (s) => isDeepStrictEqual(s, { LOG_LEVEL: 'debug', CONSUMER_CONCURRENCY: '2' }),
    );
    await eventually(
      async () => client.settings(),
      (s) => s.LOG_LEVEL === 'debug',
    );
    const firstTag = (await fetch(`${url}/config/cart-query`)).headers.get('etag');

    kubectl(['patch', 'configmap', 'cart-query-config', '-n', namespace, '--type', 'merge', '-p', JSON.stringify({ data: { LOG_LEVEL: 'warn' } })]);
    await eventually(
      async () => client.settings(),
      (s) => s.LOG_LEVEL === 'warn',
    );
    const response = await fetch(`${url}/config/cart-query`, { headers: { 'if-none-match': firstTag! } });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).not.toBe(firstTag);

    kubectl(['delete', 'configmap', 'cart-query-config', '-n', namespace]);
    await eventually(
      async () => client.settings(),
      (s) => isDeepStrictEqual(s, {}),
    );
    expect((await get('cart-query')).status).toBe(404);
    expect(seen).toEqual([{ LOG_LEVEL: 'debug', CONSUMER_CONCURRENCY: '2' }, { LOG_LEVEL: 'warn', CONSUMER_CONCURRENCY: '2' }, {}]);
  });

  it('reports not ready while the API server is down, and follows changes made after it restarts', async () => {
    const client = new RemoteConfig({ baseUrl: url, service: 'order-service', logger: silent, retryMinMs: 100 });
    clients.push(client);
    await client.start();
    kubectl(['apply', '-f', '-'], configMap('order-service-config', 'order-service', { FEATURE_FLAGS: 'a' }));
    await eventually(
      async () => client.settings(),
      (s) => s.FEATURE_FLAGS === 'a',
    );

    await server.stopApiServer();
    await eventually(
      async () => (await requestJson(`${url}/readyz`)).status,
      (status) => status === 503,
      { timeoutMs: 60_000 },
    );
    // What it knew is still served meanwhile.
    expect(await settingsOf('order-service')).toEqual({ FEATURE_FLAGS: 'a' });
    await server.startApiServer();

    kubectl(['patch', 'configmap', 'order-service-config', '-n', namespace, '--type', 'merge', '-p', JSON.stringify({ data: { FEATURE_FLAGS: 'a,b' } })]);
    kubectl(['apply', '-f', '-'], configMap('fulfillment-service-config', 'fulfillment-service', { LOG_LEVEL: 'debug' }));
    await eventually(
      async () => client.settings(),
      (s) => s.FEATURE_FLAGS === 'a,b',
      { timeoutMs: 60_000 },
    );
    await eventually(
      () => settingsOf('fulfillment-service'),
      (s) => isDeepStrictEqual(s, { LOG_LEVEL: 'debug' }),
    );
    await eventually(
      async () => (await requestJson(`${url}/readyz`)).status,
      (status) => status === 200,
    );
    expect(service.lines.some((l) => l.includes('ConfigMap watch failed; restarting the informer'))).toBe(true);
  });

  it('keeps following across watch expiries and compactions', async () => {
    const client = new RemoteConfig({ baseUrl: url, service: 'product-service', logger: silent, retryMinMs: 100 });
    clients.push(client);
    await client.start();
    for (let round = 1; round <= 4; round++) {
      kubectl(['apply', '-f', '-'], configMap('product-service-config', 'product-service', { ROUND: String(round) }));
      await eventually(
        async () => client.settings(),
        (s) => s.ROUND === String(round),
      );
      // Past the longest watch lifetime (2 x 3 s) before the next change.
      await new Promise((resolve) => setTimeout(resolve, 6500));
    }
  });
});
