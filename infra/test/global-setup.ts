import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { up } from '../src/infra';
import { ensureKubeTools } from '../src/kube-tools';

/** Brings up what is not running and remembers it, so that the teardown stops only that. */
export const startedFile = join(tmpdir(), `eventline-jest-infra-${process.pid}.json`);
/** Names the tests make (topics, prefixes, databases), for the teardown to remove. */
export const namesFile = join(tmpdir(), `eventline-jest-names-${process.pid}.txt`);

export default async function globalSetup(): Promise<void> {
  // The chart and config-service tests run kube-apiserver, etcd, kubectl, helm, skaffold and
  // hadolint; a first run builds them from Go modules (minutes), which no test timeout allows.
  ensureKubeTools();
  const started = await up();
  writeFileSync(startedFile, JSON.stringify(started));
  writeFileSync(namesFile, '');
  // Test workers start after this and inherit the variable (see @eventline/testkit uniqueName).
  process.env.EVENTLINE_TEST_NAMES_FILE = namesFile;
}
