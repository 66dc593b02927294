import type { Condition, CustomResource } from '@eventline/operator-kit';

export type ReplayService = 'order-service' | 'cart-query' | 'cart-aggregator';

export interface ReplaySpec {
  service: ReplayService;
  from?: { position: 'earliest' | 'timestamp'; timestamp?: string };
  /** Unset: switch where there is something to switch. */
  switchWhenCaughtUp?: boolean;
}

export type ReplayPhase = 'Pending' | 'Rebuilding' | 'CaughtUp' | 'Switched' | 'Failed';

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

export interface ReplayStatus {
  phase?: ReplayPhase;
  observedGeneration?: number;
  job?: string;
  consumerGroup?: string;
  eventsApplied?: number;
  eventsPerSecond?: number;
  lag?: { total: number; partitions: PartitionLag[] };
  startTime?: string;
  completionTime?: string;
  servedGeneration?: number;
  conditions?: Condition[];
}

export type Replay = CustomResource<ReplaySpec, ReplayStatus>;
