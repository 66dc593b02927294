import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { ResourceController, type ResourceInformer } from '../../src/controller';
import type { CustomResource } from '../../src/resource';
import type { ResourceClient } from '../../src/resource-client';

type Thing = CustomResource<{ size: number }, { phase?: string }>;
type Callback = (object: Thing) => void;

/** An informer fed by the test: it lists through the controller's list function and emits what the test says. */
class FakeInformer {
  private readonly callbacks = new Map<string, Callback[]>();
  private readonly objects = new Map<string, Thing>();

  constructor(private readonly listFn: () => Promise<{ items: Thing[] }>) {}

  on(verb: string, callback: Callback): void {
    this.callbacks.set(verb, [...(this.callbacks.get(verb) ?? []), callback]);
  }

  off(): void {}

  async start(): Promise<void> {
    for (const object of (await this.listFn()).items) this.emit('add', object);
  }

  async stop(): Promise<void> {}

  get(name: string): Thing | undefined {
    return this.objects.get(name);
  }

  list(): Thing[] {
    return [...this.objects.values()];
  }

  emit(verb: 'add' | 'update' | 'delete', object: Thing): void {
    if (verb === 'delete') this.objects.delete(object.metadata.name);
    else this.objects.set(object.metadata.name, object);
    for (const callback of this.callbacks.get(verb) ?? []) callback(object);
  }
}

const thing = (name: string, generation = 1, status: Thing['status'] = {}): Thing => ({
  apiVersion: 'example.com/v1',
  kind: 'Thing',
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, generation },
  spec: { size: generation },
  status,
});

function controllerOf(initial: Thing[], reconcile: (object: Thing) => Promise<{ requeueAfterMs?: number } | undefined>, rateLimit?: { perSecond: number; burst: number }) {
  let informer: FakeInformer | undefined;
  const client = { kind: { group: 'example.com', version: 'v1', plural: 'things', kind: 'Thing' }, list: async () => ({ items: initial }) } as unknown as ResourceClient<
    Thing['spec'],
    NonNullable<Thing['status']>
  >;
  const controller = new ResourceController({
    kubeConfig: new KubeConfig(),
    client,
    namespace: 'ns',
    logger: pino({ level: 'silent' }),
    reconcile,
    rateLimit,
    informer: (list) => {
      informer = new FakeInformer(list as () => Promise<{ items: Thing[] }>);
      return informer as unknown as ResourceInformer<Thing['spec'], NonNullable<Thing['status']>>;
    },
  });
  return { controller, informer: () => informer! };
}

describe('ResourceController', () => {
  afterEach(() => jest.useRealTimers());

  it('does not reconcile again on a status-only update (its own status patch); a spec change, a deletion or a new annotation does', async () => {
    const seen: string[] = [];
    const { controller, informer } = controllerOf([thing('a')], async (object) => {
      seen.push(`${object.metadata.name}@${object.metadata.generation}:${object.status?.phase ?? '-'}`);
      return undefined;
    });
    await controller.start();
    await flush();
    expect(controller.isSynced()).toBe(true);
    expect(seen).toEqual(['a@1:-']);

    informer().emit('update', thing('a', 1, { phase: 'Running' }));
    informer().emit('update', thing('a', 1, { phase: 'Done' }));
    await flush();
    expect(seen).toEqual(['a@1:-']);

    informer().emit('update', thing('a', 2, { phase: 'Done' }));
    await flush();
    expect(seen).toEqual(['a@1:-', 'a@2:Done']);

    const annotated = thing('a', 2, { phase: 'Done' });
    annotated.metadata.annotations = { 'eventline.dev/retry': '1' };
    informer().emit('update', annotated);
    await flush();
    const deleting = { ...annotated, metadata: { ...annotated.metadata, deletionTimestamp: new Date('2026-12-04T00:00:00Z') } };
    informer().emit('update', deleting);
    await flush();
    expect(seen).toHaveLength(4);
    await controller.stop();
  });

  it('honours a requeue delay: status-only updates in between do not bring the next pass forward', async () => {
    jest.useFakeTimers();
    const passes: number[] = [];
    const { controller, informer } = controllerOf([thing('a')], async () => {
      passes.push(Date.now());
      return { requeueAfterMs: 2_000 };
    });
    const start = Date.now();
    await controller.start();
    await jest.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 10; i++) {
      informer().emit('update', thing('a', 1, { phase: `lag ${i}` }));
      await jest.advanceTimersByTimeAsync(500);
    }
    // 5 s: the pass at 0 and one every 2 s after it, whatever the ten updates.
    expect(passes.map((at) => at - start)).toEqual([0, 2_000, 4_000]);
    await controller.stop();
  });

  it('starts at most the burst at once, then `perSecond` reconciles a second', async () => {
    jest.useFakeTimers();
    const many = Array.from({ length: 60 }, (_, i) => thing(`t${i}`));
    let passes = 0;
    const { controller } = controllerOf(
      many,
      async () => {
        passes++;
        return undefined;
      },
      { perSecond: 10, burst: 20 },
    );
    await controller.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(passes).toBe(20);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(passes).toBe(30);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(passes).toBe(60);
    await controller.stop();
  });

  it('retries a failed reconcile with backoff, and forgets a deleted object', async () => {
    jest.useFakeTimers();
    let attempts = 0;
    const { controller, informer } = controllerOf([thing('a')], async () => {
      attempts++;
      throw new Error('API server unreachable');
    });
    await controller.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(attempts).toBe(1);
    await jest.advanceTimersByTimeAsync(200);
    expect(attempts).toBe(2);
    await jest.advanceTimersByTimeAsync(400);
    expect(attempts).toBe(3);
    informer().emit('delete', thing('a'));
    await jest.advanceTimersByTimeAsync(60_000);
    expect(attempts).toBe(3);
    await controller.stop();
  });
});

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
