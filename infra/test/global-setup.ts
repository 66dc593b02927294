import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { up } from '../src/infra';

/** Brings up what is not running and remembers it, so that the teardown stops only that. */
export const startedFile = join(tmpdir(), `eventline-jest-infra-${process.pid}.json`);

export default async function globalSetup(): Promise<void> {
  const started = await up();
  writeFileSync(startedFile, JSON.stringify(started));
}
