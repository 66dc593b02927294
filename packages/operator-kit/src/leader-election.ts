import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { leaderGauge, type Logger } from '@eventline/observability';
import { leaseVerdict, observeLease, type LeaseObservation } from './lease-verdict';
import { statusCodeOf } from './api-errors';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  leaseName: string;
  /** Unique per replica: the pod name. */
  identity: string;
  logger: Logger;
  leaseDurationSeconds?: number;
  /** How often the leader renews and a candidate retries. */
  retryPeriodMs?: number;
  /** A leader that could not renew for this long steps down (before its lease can expire). */
  renewDeadlineMs?: number;
  onStartedLeading(): void | Promise<void>;
  onStoppedLeading(): void | Promise<void>;
}

/**
 * Leader election on a coordination.k8s.io Lease, as client-go's: the holder renews it every
 * retry period; a candidate takes it over once it is released or its duration passed, by the
 * candidate's own clock, since the candidate last saw the record change (clock skew does not matter).
 * Writes are replaces guarded by resourceVersion, so two candidates never both win.
 */
export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly durationSeconds: number;
  private readonly retryPeriodMs: number;
  private readonly renewDeadlineMs: number;
  private leading = false;
  private lastRenewal = 0;
  private observation: LeaseObservation | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private round: Promise<void> = Promise.resolve();

  constructor(private readonly options: LeaderElectionOptions) {
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.durationSeconds = options.leaseDurationSeconds ?? 15;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.round = this.tryAcquireOrRenew().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.retryPeriodMs);
      });
    };
    tick();
  }

  /** Stops campaigning; a leader releases the Lease so that another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    if (!this.leading) return;
    await this.setLeading(false);
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.options.identity) {
        await this.api.replaceNamespacedLease({
          name: this.options.leaseName,
          namespace: this.options.namespace,
          body: { ...lease, spec: { ...lease.spec, holderIdentity: '', acquireTime: microTime(lease.spec.acquireTime), renewTime: undefined } },
        });
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not release the lease');
    }
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name: this.options.leaseName, namespace: this.options.namespace });
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const { namespace, leaseName: name, identity, logger } = this.options;
    const now = new V1MicroTime();
    try {
      const lease = await this.read();
      const observedAtMs = performance.now();
      this.observation = observeLease(this.observation, lease?.spec, observedAtMs);
      const verdict = leaseVerdict(lease?.spec, identity, this.observation, observedAtMs);
      if (verdict === 'wait') {
        if (this.leading) await this.setLeading(false);
        return;
      }
      const spec = { holderIdentity: identity, leaseDurationSeconds: this.durationSeconds, renewTime: now };
      if (verdict === 'create') {
        await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: { ...spec, acquireTime: now, leaseTransitions: 0 } } });
      } else {
        const transitions = (lease?.spec?.leaseTransitions ?? 0) + (verdict === 'takeover' ? 1 : 0);
        const acquireTime = verdict === 'takeover' ? now : microTime(lease?.spec?.acquireTime);
        await this.api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: { ...lease?.spec, ...spec, acquireTime, leaseTransitions: transitions } } });
      }
      this.lastRenewal = performance.now();
      if (!this.leading) {
        logger.info({ lease: `${namespace}/${name}`, identity }, 'became the leader');
        await this.setLeading(true);
      }
    } catch (error) {
      // A conflict is another replica winning the race; anything else is the API server unreachable.
      if (statusCodeOf(error) !== 409) logger.warn({ err: error }, 'leader election round failed');
      if (this.leading && performance.now() - this.lastRenewal > this.renewDeadlineMs) {
        logger.warn({ lease: `${namespace}/${name}` }, 'could not renew the lease in time; stepping down');
        await this.setLeading(false);
      }
    }
  }

  private async setLeading(leading: boolean): Promise<void> {
    if (this.leading === leading) return;
    this.leading = leading;
    leaderGauge.set({ lease: this.options.leaseName }, leading ? 1 : 0);
    try {
      await (leading ? this.options.onStartedLeading() : this.options.onStoppedLeading());
    } catch (error) {
      this.options.logger.error({ err: error, leading }, 'leadership callback failed');
    }
  }
}

/** A MicroTime the client can serialise: client-node reads them back as strings. */
function microTime(value: Date | string | undefined): V1MicroTime | undefined {
  return value === undefined ? undefined : new V1MicroTime(value);
}
