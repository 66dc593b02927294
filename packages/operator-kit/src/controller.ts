import { makeInformer, type Informer, type KubeConfig, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { backoffDelayMs, reconcileDuration, reconciles, Restarter, type BackoffPolicy, type Logger } from '@eventline/observability';
import { reconcileTrigger } from './reconcile-trigger';
import { apiVersionOf, objectKey, type CustomResource } from './resource';
import type { ResourceClient } from './resource-client';
import { TokenBucket } from './token-bucket';
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
  /** Reconciles started per second, and how many may start at once after a quiet spell (default 10 and 100, as client-go). */
  rateLimit?: { perSecond: number; burst: number };
  /**
   * Objects this kind creates and owns (controller ownerReferences), as controller-runtime's Owns():
   * a change to one — a Job finishing — reconciles its owner at once instead of at its next requeue.
   */
  ownedObjects?: OwnedObjects[];
  /** Builds the informer from the list function (default: one watching the API server); tests pass a fake. */
  informer?(list: () => Promise<ResourceList<Spec, Status>>): ResourceInformer<Spec, Status>;
}

/** Where the owned objects are listed and watched: an API path and a label selector. */
export interface OwnedObjects {
  path: string;
  labelSelector: string;
  list(): Promise<{ items: KubernetesObject[]; metadata?: { resourceVersion?: string } }>;
}

export type ResourceInformer<Spec, Status> = Informer<CustomResource<Spec, Status>> & ObjectCache<CustomResource<Spec, Status>>;
type ResourceList<Spec, Status> = Awaited<ReturnType<ResourceClient<Spec, Status>['list']>>;

/** A failed reconcile is retried after 200 ms, doubling up to 30 s. */
export const RECONCILE_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 30_000 };
/** A failed watch restarts the informer after 1 s, every time. */
const RESTART_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 1_000 };

/**
 * An informer on one custom resource kind in one namespace feeding a work queue that a single worker
 * drains: each change that asks for it (spec, deletion, labels, annotations — not status, see
 * reconcileTrigger) and each resync reconciles the object's latest cached state, at most `rateLimit`
 * a second. A failed reconcile is retried with exponential backoff; a failed watch restarts the informer.
 */
export class ResourceController<Spec, Status> {
  private readonly informer: ResourceInformer<Spec, Status>;
  private readonly log: Logger;
  private queue = new WorkQueue();
  private readonly failures = new Map<string, number>();
  /** Each object's reconcileTrigger as last enqueued: an update that leaves it unchanged is not reconciled. */
  private readonly triggers = new Map<string, string>();
  private readonly rateLimit: TokenBucket;
  private running = false;
  private synced = false;
  private worker: Promise<void> = Promise.resolve();
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly restarter: Restarter;
  private readonly owned: { informer: Informer<KubernetesObject>; restarter: Restarter }[] = [];

  constructor(private readonly options: ResourceControllerOptions<Spec, Status>) {
    const { kind } = options.client;
    this.log = options.logger.child({ component: 'controller', kind: kind.kind });
    this.rateLimit = new TokenBucket(options.rateLimit?.perSecond ?? 10, options.rateLimit?.burst ?? 100);
    const list = async () => {
      const objects = await options.client.list(options.namespace);
      this.synced = true;
      return objects;
    };
    this.informer =
      options.informer?.(list) ??
      makeInformer<CustomResource<Spec, Status>>(options.kubeConfig, `/apis/${kind.group}/${kind.version}/namespaces/${options.namespace}/${kind.plural}`, list);
    this.informer.on('add', (object) => this.changed(object, true));
    this.informer.on('update', (object) => this.changed(object, false));
    this.informer.on('delete', (object) => {
      this.triggers.delete(objectKey(object));
      this.failures.delete(objectKey(object));
    });
    this.restarter = this.restarterOf(this.informer);
    for (const owned of options.ownedObjects ?? []) {
      const informer = makeInformer<KubernetesObject>(options.kubeConfig, owned.path, () => owned.list(), owned.labelSelector);
      const ownerChanged = (object: KubernetesObject) => this.ownerChanged(object);
      informer.on('add', ownerChanged);
      informer.on('update', ownerChanged);
      informer.on('delete', ownerChanged);
      this.owned.push({ informer, restarter: this.restarterOf(informer) });
    }
  }

  private restarterOf(informer: Informer<KubernetesObject>): Restarter {
    return new Restarter(informer, { backoff: RESTART_BACKOFF, logger: this.log, message: 'watch failed; restarting the informer', isRunning: () => this.running });
  }

  /** Enqueues the object's controlling owner when it is of this controller's kind. */
  private ownerChanged(object: KubernetesObject): void {
    const ownerKind = this.options.client.kind;
    const owner = object.metadata?.ownerReferences?.find((ref) => ref.controller && ref.kind === ownerKind.kind && ref.apiVersion === apiVersionOf(ownerKind));
    if (owner) this.queue.add(objectKey({ metadata: { namespace: object.metadata?.namespace ?? this.options.namespace, name: owner.name } }));
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

  private changed(object: CustomResource<Spec, Status>, added: boolean): void {
    const key = objectKey(object);
    const trigger = reconcileTrigger(object);
    if (!added && this.triggers.get(key) === trigger) return;
    this.triggers.set(key, trigger);
    this.enqueue(object);
  }

  private owns(object: CustomResource<Spec, Status>): boolean {
    return this.options.owns?.(object) ?? true;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.queue = new WorkQueue();
    await this.informer.start();
    await Promise.all(this.owned.map(({ informer }) => informer.start()));
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
    for (const { restarter } of this.owned) restarter.cancel();
    this.queue.shutDown();
    await this.informer.stop();
    await Promise.all(this.owned.map(({ informer }) => informer.stop()));
    await this.worker;
    this.synced = false;
  }

  private async work(queue: WorkQueue): Promise<void> {
    for (let key = await queue.take(); key !== undefined; key = await queue.take()) {
      const wait = this.rateLimit.reserve();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
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
