import { join } from 'node:path';
import { startTestApiServer, type TestApiServer } from '@eventline/testkit';

const crds = join(__dirname, '..', '..', '..', '..', 'charts', 'eventline', 'crds');
const namespace = 'operator-dev-crds';

/** The chart's CRDs on a real kube-apiserver: structural schemas, CEL rules, status, printer columns. */
describe('Replay and Redrive CRDs', () => {
  let api: TestApiServer;

  beforeAll(async () => {
    api = await startTestApiServer();
    expect(api.kubectl(['apply', '-f', crds]).status).toBe(0);
    const established = api.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/replays.eventline.dev', 'crd/redrives.eventline.dev']);
    expect(established.stderr).toBe('');
    expect(api.kubectl(['create', 'namespace', namespace]).status).toBe(0);
  });

  afterAll(async () => {
    await api?.dispose();
  });

  const apply = (yaml: string) => api.kubectl(['apply', '-n', namespace, '-f', '-'], yaml);

  const replay = (name: string, spec: string) => `apiVersion: eventline.dev/v1alpha1\nkind: Replay\nmetadata: { name: ${name} }\nspec: ${spec}\n`;
  const redrive = (name: string, spec: string) => `apiVersion: eventline.dev/v1alpha1\nkind: Redrive\nmetadata: { name: ${name} }\nspec: ${spec}\n`;

  it('accepts valid Replays and Redrives and defaults what is optional', () => {
    expect(apply(replay('rebuild-carts', '{ service: cart-query }')).status).toBe(0);
    expect(apply(replay('rebuild-copies', "{ service: order-service, from: { position: timestamp, timestamp: '2026-01-01T00:00:00Z' }, switchWhenCaughtUp: false }")).status).toBe(
      0,
    );
    expect(apply(redrive('orders-back', '{ topic: orders, filter: { eventTypes: [OrderPlaced], errorContains: timeout, olderThan: 1m, newerThan: 2h }, limit: 10 }')).status).toBe(
      0,
    );
    const stored = JSON.parse(api.kubectl(['get', '-n', namespace, 'replay/rebuild-carts', '-o', 'json']).stdout);
    expect(stored.spec).toEqual({ service: 'cart-query' });
    expect(apply(replay('compare-carts', '{ service: cart-aggregator }')).status).toBe(0);
    const drive = JSON.parse(api.kubectl(['get', '-n', namespace, 'redrive/orders-back', '-o', 'json']).stdout);
    expect(drive.spec.dryRun).toBe(false);
  });

  it.each([
    ['a Replay of an unknown service', replay('bad-service', '{ service: billing }'), 'Unsupported value: "billing"'],
    [
      'a timestamp start without its timestamp',
      replay('bad-from', '{ service: cart-query, from: { position: timestamp } }'),
      "from.timestamp is required when from.position is 'timestamp'",
    ],
    [
      'an earliest start with a timestamp',
      replay('bad-earliest', "{ service: cart-query, from: { position: earliest, timestamp: '2026-01-01T00:00:00Z' } }"),
      "from.timestamp is only allowed when from.position is 'timestamp'",
    ],
    [
      'switching cart-aggregator',
      replay('bad-switch', '{ service: cart-aggregator, switchWhenCaughtUp: true }'),
      "cart-aggregator's replay compares its rebuilt state with the live one and has no reads to switch",
    ],
    ['a Redrive of a .dlq topic', redrive('bad-topic', '{ topic: orders.dlq }'), 'topic names the source topic (e.g. orders), not its .dlq twin'],
    ['a Redrive of a topic name Kafka refuses', redrive('bad-name', "{ topic: 'or ders' }"), 'topic must be a Kafka topic name'],
    [
      'an age window no record can match',
      redrive('bad-window', '{ topic: orders, filter: { olderThan: 2h, newerThan: 1h } }'),
      'filter.olderThan must be shorter than filter.newerThan, or no record could match',
    ],
    ['an age that is not a duration', redrive('bad-age', '{ topic: orders, filter: { olderThan: 3d } }'), 'olderThan must be a duration like 30s, 10m or 2h'],
    ['a limit of zero', redrive('bad-limit', '{ topic: orders, limit: 0 }'), 'should be greater than or equal to 1'],
  ])("refuses %s with the API server's message", (_what, manifest, message) => {
    const result = apply(manifest);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it('refuses a change to a spec once created (CEL transition rule)', () => {
    const result = apply(replay('rebuild-carts', '{ service: order-service }'));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("a Replay's spec is immutable; delete it and create a new one");
  });

  it('keeps status to the status subresource and shows it in kubectl get columns', () => {
    const status = {
      status: {
        phase: 'Rebuilding',
        eventsApplied: 1200,
        lag: { total: 34, partitions: [] },
        servedGeneration: 3,
        conditions: [{ type: 'Ready', status: 'False', reason: 'Rebuilding', message: 'behind by 34', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      },
    };
    // A status in the main resource is dropped: only the subresource writes it.
    const patchedMain = api.kubectl(['patch', '-n', namespace, 'replay/rebuild-carts', '--type=merge', '-p', JSON.stringify(status)]);
    expect(patchedMain.status).toBe(0);
    expect(JSON.parse(api.kubectl(['get', '-n', namespace, 'replay/rebuild-carts', '-o', 'json']).stdout).status).toBeUndefined();
    expect(api.kubectl(['patch', '-n', namespace, 'replay/rebuild-carts', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]).status).toBe(0);
    const table = api.kubectl(['get', 'replays', '-n', namespace]).stdout.trim().split('\n');
    expect(table[0]!.split(/\s+/)).toEqual(['NAME', 'SERVICE', 'PHASE', 'LAG', 'APPLIED', 'READY', 'AGE']);
    const row = table.find((line) => line.startsWith('rebuild-carts'))!.split(/\s+/);
    expect(row.slice(0, 6)).toEqual(['rebuild-carts', 'cart-query', 'Rebuilding', '34', '1200', 'False']);
    expect(api.kubectl(['get', 'replays', '-n', namespace, '-o', 'wide']).stdout.split('\n')[0]).toContain('GENERATION');
    const redrives = api.kubectl(['get', 'redrives', '-n', namespace]).stdout.trim().split('\n');
    expect(redrives[0]!.split(/\s+/)).toEqual(['NAME', 'TOPIC', 'PHASE', 'MOVED', 'SKIPPED', 'DRY-RUN', 'READY', 'AGE']);
  });
});
