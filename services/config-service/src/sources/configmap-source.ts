import * as k8s from '@kubernetes/client-node';
import { Restarter, type BackoffPolicy, type Logger } from '@eventline/observability';
import { SERVICE_NAME, type ConfigStore, type SourceEntry } from '../config-store';
import type { ConfigSource } from './source';
import { defaultKubeConfig, INSTANCE_LABEL } from '@eventline/operator-kit';

export interface ConfigMapSourceOptions {
  namespace: string;
  /** ConfigMaps carrying this label are read; its value names the service. */
  label: string;
  /** Only the ConfigMaps of this Helm release (app.kubernetes.io/instance); empty: every labelled one. */
  release?: string;
  store: ConfigStore;
  logger: Logger;
  /** How often the informer's cache is re-delivered to the store. */
  resyncMs: number;
  /** Credentials: KUBECONFIG, else the pod's service account. */
  kubeConfig?: k8s.KubeConfig;
}

/** The label selector of the ConfigMaps a config-service reads: those for a service, of its release. */
export function configMapSelector(label: string, release = ''): string {
  return release ? `${label},${INSTANCE_LABEL}=${release}` : label;
}

/** A stopped informer is started again after 500 ms, doubling up to 15 s, until a ConfigMap arrives. */
const RESTART_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 15_000 };

/**
 * An informer (list, then watch from the list's resourceVersion) on the labelled ConfigMaps of one
 * namespace. A watch that ends is resumed from the last resourceVersion; an expired one (410 Gone)
 * makes the informer list again, and objects gone meanwhile are reported deleted. An error (the API
 * server down, a refused request) stops client-node's informer: it is restarted with backoff.
 */
export class ConfigMapSource implements ConfigSource {
  readonly name = 'kubernetes';
  private readonly informer: k8s.Informer<k8s.V1ConfigMap> & k8s.ObjectCache<k8s.V1ConfigMap>;
  private connected = false;
  private listed = false;
  private stopped = false;
  private readonly restarter: Restarter;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ConfigMapSourceOptions) {
    const kubeConfig = options.kubeConfig ?? defaultKubeConfig();
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const { namespace } = options;
    const labelSelector = configMapSelector(options.label, options.release);
    this.informer = k8s.makeInformer(
      kubeConfig,
      `/api/v1/namespaces/${namespace}/configmaps`,
      async () => {
        const list = await core.listNamespacedConfigMap({ namespace, labelSelector });
        this.listed = true;
        return list;
      },
      labelSelector,
    );
    this.informer.on('add', (configMap) => this.apply(configMap));
    this.informer.on('update', (configMap) => this.apply(configMap));
    this.informer.on('delete', (configMap) => options.store.remove(ConfigMapSource.id(configMap)));
    this.informer.on('connect', () => {
      this.connected = true;
    });
    this.restarter = new Restarter(this.informer, {
      backoff: RESTART_BACKOFF,
      logger: options.logger,
      message: 'ConfigMap watch failed; restarting the informer',
      isRunning: () => !this.stopped,
      onFailure: () => {
        this.connected = false;
      },
    });
  }

  static id(configMap: k8s.V1ConfigMap): string {
    return `configmap/${configMap.metadata?.namespace ?? ''}/${configMap.metadata?.name ?? ''}`;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start();
    this.resyncTimer = setInterval(() => this.resync(), this.options.resyncMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.restarter.cancel();
    clearInterval(this.resyncTimer);
    await this.informer.stop();
  }

  isSynced(): boolean {
    return this.listed && this.connected;
  }

  private entry(configMap: k8s.V1ConfigMap): SourceEntry | undefined {
    const service = configMap.metadata?.labels?.[this.options.label];
    if (!service || !SERVICE_NAME.test(service)) {
      this.options.logger.warn({ configMap: ConfigMapSource.id(configMap), service }, `ignoring a ConfigMap whose ${this.options.label} label is not a service name`);
      return undefined;
    }
    return { id: ConfigMapSource.id(configMap), service, settings: { ...(configMap.data ?? {}) } };
  }

  private apply(configMap: k8s.V1ConfigMap): void {
    this.restarter.reset();
    const entry = this.entry(configMap);
    if (entry) this.options.store.upsert(entry);
    else this.options.store.remove(ConfigMapSource.id(configMap));
  }

  /** client-go's resync: the cached objects delivered again; the store ignores what did not change. */
  private resync(): void {
    if (!this.isSynced()) return;
    const entries = this.informer
      .list(this.options.namespace)
      .map((cm) => this.entry(cm))
      .filter((e): e is SourceEntry => e !== undefined);
    this.options.store.replaceAll(entries);
  }
}
