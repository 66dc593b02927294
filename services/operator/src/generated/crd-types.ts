// Generated from charts/eventline/crds by `npm run generate:crd-types`; do not edit.
// A unit test (services/operator/test/unit/crd-types.test.ts) fails when this file and the CRDs differ.

export interface ReplaySpec {
  /** Whose read model to rebuild. */
  service: 'order-service' | 'cart-query' | 'cart-aggregator';
  /** Where in the source topics the rebuild starts (default earliest). */
  from?: {
    position: 'earliest' | 'timestamp';
    timestamp?: string;
  };
  /** Switch reads to the rebuilt read model once it has caught up (unset: yes; cart-aggregator has nothing to switch). */
  switchWhenCaughtUp?: boolean;
}

export interface ReplayStatus {
  phase?: 'Pending' | 'Rebuilding' | 'CaughtUp' | 'Switched' | 'Failed';
  observedGeneration?: number;
  job?: string;
  consumerGroup?: string;
  eventsApplied?: number;
  eventsPerSecond?: number;
  lag?: {
    total: number;
    partitions: {
      topic: string;
      partition: number;
      lag: number;
    }[];
  };
  startTime?: string;
  completionTime?: string;
  servedGeneration?: number;
  conditions?: {
    type: string;
    status: 'True' | 'False' | 'Unknown';
    reason?: string;
    message?: string;
    observedGeneration?: number;
    lastTransitionTime: string;
  }[];
}

export interface RedriveSpec {
  /** The source topic; records are read from `<topic>.dlq` and written back to it. */
  topic: string;
  /** Which dead-lettered records to move; records not matching are skipped. All given criteria must hold. */
  filter?: {
    /** The record's event-type header is one of these. */
    eventTypes?: string[];
    /** The dead-letter error (dlq-error header) contains this text. */
    errorContains?: string;
    /** Dead-lettered at least this long ago, e.g. 30s, 10m, 2h. */
    olderThan?: string;
    /** Dead-lettered at most this long ago, e.g. 30s, 10m, 2h. */
    newerThan?: string;
  };
  /** At most this many records are moved. */
  limit?: number;
  /** Count what would move; move nothing. */
  dryRun?: boolean;
}

export interface RedriveStatus {
  phase?: 'Pending' | 'Running' | 'Completed' | 'Failed';
  observedGeneration?: number;
  recordsMoved?: number;
  recordsSkipped?: number;
  recordsMatched?: number;
  /** Records an earlier Redrive of the topic already moved (the redrive ledger): left alone. */
  recordsAlreadyMoved?: number;
  consumerGroup?: string;
  /** The Job that moves the records (the operator's image, the redrive command). */
  job?: string;
  /** The .dlq's end offsets when the Redrive began; records after them are not its to move. */
  endOffsets?: {
    partition: number;
    offset: string;
  }[];
  startTime?: string;
  completionTime?: string;
  conditions?: {
    type: string;
    status: 'True' | 'False' | 'Unknown';
    reason?: string;
    message?: string;
    observedGeneration?: number;
    lastTransitionTime: string;
  }[];
}
