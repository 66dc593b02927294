import type { ResourceKind } from '@eventline/operator-kit';

export const GROUP = 'eventline.dev';
export const VERSION = 'v1alpha1';

export const replayKind: ResourceKind = { group: GROUP, version: VERSION, plural: 'replays', kind: 'Replay' };
export const redriveKind: ResourceKind = { group: GROUP, version: VERSION, plural: 'redrives', kind: 'Redrive' };

/** Held by every Replay and Redrive until the operator has cleaned up after it. */
export const FINALIZER = 'eventline.dev/cleanup';
