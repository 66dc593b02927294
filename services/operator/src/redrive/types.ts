import type { Condition, CustomResource } from '@eventline/operator-kit';

export interface RedriveFilter {
  eventTypes?: string[];
  errorContains?: string;
  olderThan?: string;
  newerThan?: string;
}

export interface RedriveSpec {
  topic: string;
  filter?: RedriveFilter;
  limit?: number;
  dryRun?: boolean;
}

export type RedrivePhase = 'Pending' | 'Running' | 'Completed' | 'Failed';

export interface RedriveStatus {
  phase?: RedrivePhase;
  observedGeneration?: number;
  recordsMoved?: number;
  recordsSkipped?: number;
  recordsMatched?: number;
  /** Records an earlier Redrive already moved (the redrive ledger): left alone. */
  recordsAlreadyMoved?: number;
  consumerGroup?: string;
  endOffsets?: { partition: number; offset: string }[];
  startTime?: string;
  completionTime?: string;
  conditions?: Condition[];
}

export type Redrive = CustomResource<RedriveSpec, RedriveStatus>;
