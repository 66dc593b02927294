import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { CustomResource, ResourceKind } from './resource';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Reads and patches one namespaced custom resource kind through CustomObjectsApi. */
export class ResourceClient<Spec, Status> {
  private readonly api: CustomObjectsApi;

  constructor(
    kubeConfig: KubeConfig,
    readonly kind: ResourceKind,
  ) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  private where(namespace: string) {
    return { group: this.kind.group, version: this.kind.version, plural: this.kind.plural, namespace };
  }

  async list(namespace: string): Promise<{ items: CustomResource<Spec, Status>[]; metadata?: { resourceVersion?: string } }> {
    return (await this.api.listNamespacedCustomObject(this.where(namespace))) as { items: CustomResource<Spec, Status>[] };
  }

  /**
   * A JSON merge patch of the status subresource. With `resourceVersion` the API server refuses it
   * (409) when the object changed since it was read.
   */
  async patchStatus(object: CustomResource<Spec, Status>, status: Partial<Status>, resourceVersion?: string): Promise<CustomResource<Spec, Status>> {
    const body = { metadata: resourceVersion ? { resourceVersion } : {}, status };
    return (await this.api.patchNamespacedCustomObjectStatus({ ...this.where(object.metadata.namespace), name: object.metadata.name, body }, mergePatch)) as CustomResource<
      Spec,
      Status
    >;
  }

  /**
   * patchStatus, skipped when the patch would leave the status as it is: no write to the API server
   * and no watch event for an unchanged status.
   */
  async patchStatusIfChanged(object: CustomResource<Spec, Status>, status: Partial<Status>): Promise<CustomResource<Spec, Status>> {
    if (statusUnchanged(object.status, status)) return object;
    return this.patchStatus(object, status);
  }

  /** Sets metadata.finalizers, guarded by the resourceVersion the list was computed from. */
  async setFinalizers(object: CustomResource<Spec, Status>, finalizers: string[]): Promise<CustomResource<Spec, Status>> {
    const body = { metadata: { finalizers, resourceVersion: object.metadata.resourceVersion } };
    return (await this.api.patchNamespacedCustomObject({ ...this.where(object.metadata.namespace), name: object.metadata.name, body }, mergePatch)) as CustomResource<Spec, Status>;
  }
}

/** Whether a JSON merge patch (RFC 7386) of `patch` onto `current` gives `current` again, compared as the API stores them. */
export function statusUnchanged(current: unknown, patch: object): boolean {
  const stored = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? {}));
  const before = stored(current);
  return isDeepStrictEqual(mergedPatch(before, stored(patch)), before);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function mergedPatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergedPatch(result[key], value);
  }
  return result;
}
