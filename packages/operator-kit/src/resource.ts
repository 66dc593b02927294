import type { KubernetesObject } from '@kubernetes/client-node';

/** Where a namespaced custom resource lives in the API. */
export interface ResourceKind {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

/** A custom resource as the API server returns it. */
export interface CustomResource<Spec, Status> extends KubernetesObject {
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string; namespace: string; uid: string; generation?: number };
  spec: Spec;
  status?: Status;
}

export const apiVersionOf = (kind: ResourceKind): string => `${kind.group}/${kind.version}`;

/** `namespace/name`, the work-queue key of an object. */
export const objectKey = (object: { metadata?: { namespace?: string; name?: string } }): string => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

export const isBeingDeleted = (object: KubernetesObject): boolean => Boolean(object.metadata?.deletionTimestamp);

export const hasFinalizer = (object: KubernetesObject, finalizer: string): boolean => object.metadata?.finalizers?.includes(finalizer) ?? false;

/** The owner reference that makes `owner`'s deletion garbage-collect what it owns. */
export function controllerReference(owner: CustomResource<unknown, unknown>, kind: ResourceKind) {
  return {
    apiVersion: apiVersionOf(kind),
    kind: kind.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
