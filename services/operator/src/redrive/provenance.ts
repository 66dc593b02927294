import type { IHeaders } from 'kafkajs';
import { headerText } from './filter';

/** Headers a redriven record carries: where it came from and how often it has been redriven. */
export const redriveHeaders = {
  count: 'redrive-count',
  by: 'redrive-by',
  uid: 'redrive-uid',
  from: 'redrive-from',
  at: 'redrive-at',
} as const;

export interface RedriveOrigin {
  /** `namespace/name` of the Redrive. */
  redrive: string;
  uid: string;
  dlqTopic: string;
  partition: number;
  offset: string;
  at: Date;
}

export function redriveCountOf(headers: IHeaders | undefined): number {
  const count = Number(headerText(headers, redriveHeaders.count) ?? '0');
  return Number.isInteger(count) && count > 0 ? count : 0;
}

/**
 * The headers of a dead-lettered record as it goes back to its topic: the event's own headers, without
 * the dead-letter ones (a new failure writes fresh ones), plus provenance — the Redrive, the .dlq
 * record it came from, and the redrive count one higher than before.
 */
export function redrivenHeaders(headers: IHeaders | undefined, origin: RedriveOrigin): IHeaders {
  const kept: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!name.startsWith('dlq-') && value !== undefined) kept[name] = value;
  }
  return {
    ...kept,
    [redriveHeaders.count]: String(redriveCountOf(headers) + 1),
    [redriveHeaders.by]: origin.redrive,
    [redriveHeaders.uid]: origin.uid,
    [redriveHeaders.from]: `${origin.dlqTopic}/${origin.partition}/${origin.offset}`,
    [redriveHeaders.at]: origin.at.toISOString(),
  };
}
