import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { replayGroupId, replayJob, replayJobName } from '../../src/replay/job';
import { eventsPerSecond, isActive, replayProgress, runnerFor } from '../../src/replay/progress';
import { switchRequested } from '../../src/replay/read-models';
import type { Replay, ReplaySpec, ReplayStatus } from '../../src/replay/types';

const replay = (name: string, spec: ReplaySpec, status?: ReplayStatus, created = '2026-01-01T00:00:00Z'): Replay => ({
  apiVersion: 'eventline.dev/v1alpha1',
  kind: 'Replay',
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, creationTimestamp: new Date(created) },
  spec,
  status,
});

describe('replayProgress', () => {
  it('is the whole range as lag before the group commits, nothing applied', () => {
    expect(replayProgress([{ topic: 'users', partition: 0, start: 0n, end: 10n }])).toEqual({
      total: 10,
      partitions: [{ topic: 'users', partition: 0, lag: 10 }],
      applied: 0,
      caughtUp: false,
    });
  });

  it('counts lag from the committed offset and applied events from the start', () => {
    const progress = replayProgress([
      { topic: 'users', partition: 0, start: 0n, end: 10n, committed: 4n },
      { topic: 'users', partition: 1, start: 5n, end: 8n, committed: 8n },
      { topic: 'products', partition: 0, start: 0n, end: 0n },
    ]);
    expect(progress).toEqual({
      total: 6,
      partitions: [
        { topic: 'users', partition: 0, lag: 6 },
        { topic: 'users', partition: 1, lag: 0 },
        { topic: 'products', partition: 0, lag: 0 },
      ],
      applied: 7,
      caughtUp: false,
    });
  });

  it('is caught up when every partition is read to its end', () => {
    expect(
      replayProgress([
        { topic: 't', partition: 0, start: 0n, end: 3n, committed: 3n },
        { topic: 't', partition: 1, start: 0n, end: 0n },
      ]).caughtUp,
    ).toBe(true);
  });
});

describe('eventsPerSecond', () => {
  it('is the events applied over the seconds since the start, to one decimal', () => {
    expect(eventsPerSecond(1000, '2026-01-01T00:00:00Z', new Date('2026-01-01T00:00:03Z'))).toBe(333.3);
    expect(eventsPerSecond(1000, undefined, new Date())).toBe(0);
  });
});

describe('runnerFor: one Replay per read model', () => {
  it('runs the oldest active one of the read model', () => {
    const replays = [
      replay('b', { service: 'cart-query' }, undefined, '2026-01-01T00:00:02Z'),
      replay('a', { service: 'cart-query' }, undefined, '2026-01-01T00:00:01Z'),
      replay('c', { service: 'order-service' }, undefined, '2026-01-01T00:00:00Z'),
    ];
    expect(runnerFor(replays, 'cart-query')?.metadata.name).toBe('a');
    expect(runnerFor(replays, 'order-service')?.metadata.name).toBe('c');
  });

  it('keeps the one that already has a Job, and skips finished ones', () => {
    const replays = [
      replay('done', { service: 'cart-query' }, { phase: 'Switched', completionTime: '2026-01-01T00:01:00Z' }, '2026-01-01T00:00:00Z'),
      replay('old', { service: 'cart-query' }, undefined, '2026-01-01T00:00:01Z'),
      replay('started', { service: 'cart-query' }, { phase: 'Rebuilding', job: 'replay-started' }, '2026-01-01T00:00:02Z'),
    ];
    expect(isActive(replays[0]!)).toBe(false);
    expect(runnerFor(replays, 'cart-query')?.metadata.name).toBe('started');
  });
});

describe('replayJob', () => {
  const template: V1PodTemplateSpec = {
    spec: {
      serviceAccountName: 'cart-query',
      containers: [
        {
          name: 'cart-query',
          image: 'registry/eventline-cart-query:1',
          env: [
            { name: 'PORT', value: '7000' },
            { name: 'MONGO_DB', value: 'carts' },
            { name: 'REPLAY_SWITCH', value: 'stale' },
          ],
        },
      ],
    },
  };

  it("runs the service's replay command in its image and environment, owned by its owner", () => {
    const r = replay('rebuild', { service: 'cart-query' });
    const owner = { apiVersion: 'eventline.dev/v1alpha1', kind: 'Replay', name: 'rebuild', uid: 'uid-rebuild', controller: true };
    const job = replayJob(r, { template, groupId: replayGroupId('p.', r), owner });
    expect(job.metadata).toMatchObject({ name: 'replay-rebuild', namespace: 'shop', ownerReferences: [{ kind: 'Replay', name: 'rebuild', uid: 'uid-rebuild', controller: true }] });
    const container = job.spec!.template.spec!.containers[0]!;
    expect(container.image).toBe('registry/eventline-cart-query:1');
    expect(container.command).toEqual(['node', 'services/cart-query/dist/replay.js']);
    expect(container.env).toEqual([
      { name: 'MONGO_DB', value: 'carts' },
      { name: 'REPLAY_GROUP_ID', value: 'p.cart-query.replay-uid-rebuild' },
      { name: 'REPLAY_SWITCH', value: 'true' },
      { name: 'REPLAY_ABANDON', value: 'false' },
      { name: 'REPLAY_RESULT_PATH', value: '/dev/termination-log' },
    ]);
    expect(container).toMatchObject({ terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
  });

  it('makes the cleanup Job unowned, with REPLAY_ABANDON', () => {
    const job = replayJob(replay('rebuild', { service: 'cart-query', switchWhenCaughtUp: false }), { template, groupId: 'g', abandon: true });
    expect(job.metadata!.name).toBe('replay-rebuild-cleanup');
    expect(job.metadata!.ownerReferences).toBeUndefined();
    expect(job.spec!.template.spec!.containers[0]!.env).toEqual(
      expect.arrayContaining([
        { name: 'REPLAY_SWITCH', value: 'false' },
        { name: 'REPLAY_ABANDON', value: 'true' },
      ]),
    );
  });

  it('refuses a template without an image', () => {
    expect(() => replayJob(replay('r', { service: 'cart-query' }), { template: { spec: { containers: [{ name: 'x' }] } }, groupId: 'g' })).toThrow(
      'the pod template of cart-query has no container image',
    );
  });

  it('keeps Job names within 63 characters', () => {
    expect(replayJobName(replay('x'.repeat(70), { service: 'cart-query' }), '-cleanup')).toHaveLength(63);
  });
});

describe('switchRequested', () => {
  it('switches by default where there is something to switch, never for cart-aggregator', () => {
    expect(switchRequested('order-service', undefined)).toBe(true);
    expect(switchRequested('cart-query', false)).toBe(false);
    expect(switchRequested('cart-aggregator', undefined)).toBe(false);
  });
});
