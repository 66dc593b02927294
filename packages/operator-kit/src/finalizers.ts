import { hasFinalizer, type CustomResource } from './resource';
import type { ResourceClient } from './resource-client';

/** Adds `finalizer` unless present; returns the object as stored. */
export async function ensureFinalizer<S, T>(client: ResourceClient<S, T>, object: CustomResource<S, T>, finalizer: string): Promise<CustomResource<S, T>> {
  if (hasFinalizer(object, finalizer)) return object;
  return client.setFinalizers(object, [...(object.metadata.finalizers ?? []), finalizer]);
}

/** Removes `finalizer`: the API server deletes the object once no finalizer is left. */
export async function removeFinalizer<S, T>(client: ResourceClient<S, T>, object: CustomResource<S, T>, finalizer: string): Promise<void> {
  if (!hasFinalizer(object, finalizer)) return;
  await client.setFinalizers(
    object,
    (object.metadata.finalizers ?? []).filter((f) => f !== finalizer),
  );
}
