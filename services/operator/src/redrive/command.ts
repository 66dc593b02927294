import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { int, loadConfigOrExit, str } from '@eventline/config';
import { createLogger } from '@eventline/observability';
import { baseSettings, kafkaFromSettings } from '@eventline/runtime';
import type { RedriveOrder } from './job';
import { encodeRedriveResult, type RedriveResult } from './result';
import { RedriveRun } from './run';

/**
 * The redrive Job's command: moves one Redrive's dead letters back, exactly once, then ends. The
 * operator made the Job and fixed what it moves in its environment; a pod that dies is followed by
 * another (the Job's backoffLimit) that resumes from the offsets and counts committed in Kafka.
 * Exits 0 with the counts as its termination message, or 1 with the error.
 */
const settings = loadConfigOrExit(
  z.object({
    ...baseSettings,
    /** The Redrive (namespace, name, uid, spec) as JSON. */
    REDRIVE: str(),
    REDRIVE_GROUP_ID: str(),
    /** The .dlq's end offsets when the Redrive began, as JSON `[{ partition, offset }]`. */
    REDRIVE_END_OFFSETS: str(),
    REDRIVE_RESULT_PATH: str({ default: '' }),
    REDRIVE_RECORDS_PER_TRANSACTION: int({ min: 1, max: 10_000, default: 100 }),
  }),
);
const logger = createLogger('operator-redrive', settings.LOG_LEVEL);

function report(result: RedriveResult): void {
  if (settings.REDRIVE_RESULT_PATH) writeFileSync(settings.REDRIVE_RESULT_PATH, encodeRedriveResult(result));
}

function parse<T>(name: string, value: string, valid: (parsed: Partial<T> | undefined) => boolean): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (!valid(parsed as Partial<T> | undefined)) throw new Error(`${name} is not what the operator writes: ${value.slice(0, 200)}`);
  return parsed as T;
}

async function main(): Promise<number> {
  const order = parse<RedriveOrder>('REDRIVE', settings.REDRIVE, (o) => typeof o?.name === 'string' && typeof o?.spec?.topic === 'string');
  const endOffsets = parse<{ partition: number; offset: string }[]>(
    'REDRIVE_END_OFFSETS',
    settings.REDRIVE_END_OFFSETS,
    (e) => Array.isArray(e) && e.every((p) => Number.isInteger(p?.partition) && /^\d+$/.test(String(p?.offset))),
  );
  const run = new RedriveRun({
    kafka: kafkaFromSettings(settings, 'operator-redrive', logger),
    logger,
    redrive: { apiVersion: 'eventline.dev/v1alpha1', kind: 'Redrive', metadata: { namespace: order.namespace, name: order.name, uid: order.uid }, spec: order.spec },
    prefix: settings.KAFKA_NAME_PREFIX,
    groupId: settings.REDRIVE_GROUP_ID,
    endOffsets: new Map(endOffsets.map((e) => [e.partition, BigInt(e.offset)])),
    sessionTimeoutMs: settings.KAFKA_SESSION_TIMEOUT_MS,
    retryDeadlineMs: settings.KAFKA_RETRY_DEADLINE_MS,
    maxRecordsPerTransaction: settings.REDRIVE_RECORDS_PER_TRANSACTION,
  });
  // The pod deleted (its Redrive deleted): leave the group now rather than at the session timeout.
  process.once('SIGTERM', () => void run.stop());
  await run.start();
  const counts = await run.done;
  report({ counts });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    logger.error({ err: error }, 'redrive failed');
    report({ error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
