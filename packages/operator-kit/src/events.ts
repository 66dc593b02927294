import { randomBytes } from 'node:crypto';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@eventline/observability';
import { apiVersionOf, type CustomResource, type ResourceKind } from './resource';

export type EventType = 'Normal' | 'Warning';

/** Records Kubernetes Events on a resource (what `kubectl describe` shows). Never throws. */
export class EventRecorder {
  private readonly core: CoreV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly component: string,
    private readonly logger: Logger,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async record(object: CustomResource<unknown, unknown>, kind: ResourceKind, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date();
    const { namespace, name, uid, resourceVersion } = object.metadata;
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${name}.${now.getTime().toString(16)}${randomBytes(3).toString('hex')}`, namespace },
          involvedObject: { apiVersion: apiVersionOf(kind), kind: kind.kind, namespace, name, uid, resourceVersion },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: this.component },
          reportingComponent: this.component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      this.logger.warn({ err: error, object: `${namespace}/${name}`, reason }, 'could not record an event');
    }
  }
}
