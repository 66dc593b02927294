import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCatalog, findSchemasDir, type Catalog } from '@eventline/avro';

export const userState = 'dev.eventline.users.UserState';

/** The real UserState schema on a topic of the benchmark's own, so no service sees bench traffic. */
export function benchCatalog(topic: string): Catalog {
  const text = readFileSync(join(findSchemasDir(), 'users', 'UserState.avsc'), 'utf8');
  return buildCatalog([{ file: 'users/UserState.avsc', text }], JSON.stringify({ topics: [{ name: topic, partitions: 3, compacted: false, records: [userState] }] }));
}

export function sampleUser(i: number, version = 1) {
  return { id: i, firstname: `First${i}`, lastname: `Last${i}`, email: `user${i}@example.com`, version };
}
