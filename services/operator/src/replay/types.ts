import type { CustomResource } from '@eventline/operator-kit';
import type { ReplaySpec, ReplayStatus } from '../generated/crd-types';

export type { ReplaySpec, ReplayStatus };
export type ReplayService = ReplaySpec['service'];
export type ReplayPhase = NonNullable<ReplayStatus['phase']>;
export type PartitionLag = NonNullable<ReplayStatus['lag']>['partitions'][number];
export type Replay = CustomResource<ReplaySpec, ReplayStatus>;
