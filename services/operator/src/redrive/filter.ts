import type { IHeaders } from 'kafkajs';
import type { RedriveFilter } from './types';

/** What a Redrive's filter looks at in a dead-lettered record: its headers. */
export interface DeadLetterFacts {
  eventType?: string;
  error?: string;
  failedAt?: Date;
}

export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  return first === undefined || first === null ? undefined : first.toString();
}

export function deadLetterFacts(headers: IHeaders | undefined): DeadLetterFacts {
  const failedAt = headerText(headers, 'dlq-failed-at');
  const parsed = failedAt ? new Date(failedAt) : undefined;
  return {
    eventType: headerText(headers, 'event-type'),
    error: headerText(headers, 'dlq-error'),
    failedAt: parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined,
  };
}

const units: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };

/** `30s`, `10m`, `2h` in milliseconds (the CRD's pattern); anything else is refused. */
export function durationMs(text: string): number {
  const match = /^([0-9]+)(s|m|h)$/.exec(text);
  if (!match) throw new Error(`not a duration (30s, 10m, 2h): ${text}`);
  return Number(match[1]) * units[match[2]!]!;
}

/**
 * Whether a dead-lettered record matches every criterion given: its event type is listed, its error
 * contains the text, it failed at least `olderThan` and at most `newerThan` before `now`. A record
 * without the header a criterion needs does not match it.
 */
export function matchesFilter(filter: RedriveFilter | undefined, facts: DeadLetterFacts, now: Date): boolean {
  if (!filter) return true;
  if (filter.eventTypes?.length && (facts.eventType === undefined || !filter.eventTypes.includes(facts.eventType))) return false;
  if (filter.errorContains !== undefined && !(facts.error ?? '').includes(filter.errorContains)) return false;
  if (filter.olderThan !== undefined || filter.newerThan !== undefined) {
    if (!facts.failedAt) return false;
    const age = now.getTime() - facts.failedAt.getTime();
    if (filter.olderThan !== undefined && age < durationMs(filter.olderThan)) return false;
    if (filter.newerThan !== undefined && age > durationMs(filter.newerThan)) return false;
  }
  return true;
}
