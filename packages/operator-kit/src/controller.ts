import { makeInformer, type Informer, type KubeConfig, type ObjectCache } from '@kubernetes/client-node';
import { backoffDelayMs, reconcileDuration, reconciles, Restarter, type BackoffPolicy, type Logger } from '@eventline/observability';
import { objectKey, type CustomResource } from './resource';
import type { ResourceClient } from './resource-client';
import { WorkQueue } from './work-queue';

/** What a reconcile asks of the loop: to look again after a while (progress to poll), or nothing. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface ResourceControllerOptions<Spec, Status> {
  kubeConfig: KubeConfig;
  client: ResourceClient<Spec, Status>;
  namespace: string;
  logger: Logger;
  /** Brings the world in line with the object; idempotent, called again on every change and requeue. */
  reconcile(object: CustomResource<Spec, Status>): Promise<ReconcileResult | undefined>;
  /** Every object is reconciled again this often, changed or not. */
  resyncMs?: number;
  /** Whether an object is this controller's to reconcile (default: every one); others are ignored. */
  owns?(object: CustomResource<Spec, Status>): boolean;
}

/** A failed reconcile is retried after 200 ms, doubling up to 30 s. */
export const RECONCILE_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 30_000 };
/** A failed watch restarts the informer after 1 s, every time. */
const RESTART_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 1_000 };

/**
 * An informer on one custom resource kind in one namespace feeding a work queue that a single worker
 * drains: each change (and each resync) reconciles the object's latest cached state. A failed
 * reconcile is retried with exponential backoff; a failed watch restarts the informer.
 */
export class ResourceController<Spec, Status> {
  private readonly informer: Informer<CustomResource<Spec, Status>> & ObjectCache<CustomResource<Spec, Status>>;
  private readonly log: Logger;
  private queue = new WorkQueue();
  private readonly failures = new Map<string, number>();
  private running = false;
  private synced = false;
  private worker: Promise<void> = Promise.resolve();
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly restarter: Restarter;

  constructor(private readonly options: ResourceControllerOptions<Spec, Status>) {
    const { kind } = options.client;
    this.log = options.logger.child({ component: 'controller', kind: kind.kind });
    this.informer = makeInformer<CustomResource<Spec, Status>>(
      options.kubeConfig,
      `/apis/${kind.group}/${kind.version}/namespaces/${options.namespace}/${kind.plural}`,
      async () => {
        const list = await options.client.list(options.namespace);
        this.synced = true;
        return list;
      },
    );
    const enqueue = (object: CustomResource<Spec, Status>) => {
      if (this.owns(object)) this.queue.add(objectKey(object));
    };
    this.informer.on('add', enqueue);
    this.informer.on('update', enqueue);
    this.restarter = new Restarter(this.informer, {
      backoff: RESTART_BACKOFF,
      logger: this.log,
      message: 'watch failed; restarting the informer',
      isRunning: () => this.running,
    });
  }

  /** The objects this controller owns, as the informer last saw them. */
  cached(): readonly CustomResource<Spec, Status>[] {
    return this.informer.list(this.options.namespace).filter((object) => this.owns(object));
  }

  isSynced(): boolean {
    return this.synced;
  }

  enqueue(object: CustomResource<Spec, Status>): void {
    if (this.owns(object)) this.queue.add(objectKey(object));
  }

  private owns(object: CustomResource<Spec, Status>): boolean {
    return this.options.owns?.(object) ?? true;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.queue = new WorkQueue();
    await this.informer.start();
    this.worker = this.work(this.queue);
    this.resyncTimer = setInterval(() => {
      for (const object of this.cached()) this.queue.add(objectKey(object));
    }, this.options.resyncMs ?? 60_000);
    this.resyncTimer.unref();
  }

  /** Stops watching; the reconcile in progress finishes first. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.resyncTimer);
    this.restarter.cancel();
    this.queue.shutDown();
    await this.informer.stop();
    await this.worker;
    this.synced = false;
  }

  private async work(queue: WorkQueue): Promise<void> {
    for (let key = await queue.take(); key !== undefined; key = await queue.take()) {
      try {
        await this.reconcileKey(queue, key);
      } finally {
        queue.done(key);
      }
    }
  }

  private async reconcileKey(queue: WorkQueue, key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const object = this.informer.get(name, namespace);
    if (!object || !this.owns(object)) {
      this.failures.delete(key);
      return;
    }
    const kind = this.options.client.kind.kind;
    const timer = reconcileDuration.startTimer({ kind });
    try {
      const result = await this.options.reconcile(object);
      this.failures.delete(key);
      reconciles.inc({ kind, outcome: 'ok' });
      if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const attempt = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempt);
      const delay = backoffDelayMs(attempt, RECONCILE_BACKOFF);
      reconciles.inc({ kind, outcome: 'error' });
      this.log.warn({ err: error, object: key, attempt, retryInMs: delay }, 'reconcile failed');
      queue.addAfter(key, delay);
    } finally {
      timer();
    }
  }
}
