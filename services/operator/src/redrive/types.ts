import type { CustomResource } from '@eventline/operator-kit';
import type { RedriveSpec, RedriveStatus } from '../generated/crd-types';

export type { RedriveSpec, RedriveStatus };
export type RedriveFilter = NonNullable<RedriveSpec['filter']>;
export type RedrivePhase = NonNullable<RedriveStatus['phase']>;
export type Redrive = CustomResource<RedriveSpec, RedriveStatus>;
