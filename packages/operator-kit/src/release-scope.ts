/** The label a Helm release puts on what it installs, and that names the release of a custom resource. */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

export interface ReleaseScope {
  /** The release this controller belongs to; empty: none (it takes every object). */
  release: string;
  /** Whether objects that name no release are this release's too. */
  takeUnlabelled: boolean;
}

/**
 * Whether an object is for this release's controller: one that names a release (INSTANCE_LABEL) is
 * its release's alone, one that names none goes to the release that takes unlabelled objects. So two
 * releases in one namespace never reconcile the same object.
 */
export function ownedByRelease(scope: ReleaseScope, object: { metadata?: { labels?: Record<string, string> } }): boolean {
  if (!scope.release) return true;
  const named = object.metadata?.labels?.[INSTANCE_LABEL];
  return named === undefined ? scope.takeUnlabelled : named === scope.release;
}
