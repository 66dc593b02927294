import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

/** Set by the integration suite's global setup: every name made during the run is listed there. */
export const TEST_NAMES_FILE_VARIABLE = 'EVENTLINE_TEST_NAMES_FILE';

/**
 * A name no other test run uses, so suites can share one broker and one database server. During an
 * integration run it is also recorded, so the global teardown can remove the topics and databases
 * named after it.
 */
export function uniqueName(prefix: string): string {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  const file = process.env[TEST_NAMES_FILE_VARIABLE];
  if (file) appendFileSync(file, `${name}\n`);
  return name;
}
