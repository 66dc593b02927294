import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { clusterProcessesRunning } from '../src/cluster/cluster';
import { up } from '../src/infra';
import { ensureKubeTools } from '../src/kube-tools';

/**
 * What the suite brought up, so that the teardown stops only that: the infra servers it started, and
 * whether the local Kubernetes node was down at the start (the cluster suites start it and leave it up
 * for the next one; the teardown stops it then).
 */
export interface StartedBySuite {
  infra: string[];
  clusterWasDown: boolean;
}

/** Where global setup leaves a StartedBySuite for the teardown. */
export const startedFile = join(tmpdir(), `eventline-jest-infra-${process.pid}.json`);
/** Names the tests make (topics, prefixes, databases), for the teardown to remove. */
export const namesFile = join(tmpdir(), `eventline-jest-names-${process.pid}.txt`);

/**
 * Set by scripts/test.sh when the suite runs as more than one jest run (its tiers): what an earlier
 * run started, kept there by its teardown, so that the last run's teardown stops it all.
 */
const suiteStateFile = process.env.EVENTLINE_SUITE_STATE;

export default async function globalSetup(): Promise<void> {
  // The chart and config-service tests run kube-apiserver, etcd, kubectl, helm, skaffold and
  // hadolint; a first run builds them from Go modules (minutes), which no test timeout allows.
  ensureKubeTools();
  const earlier: StartedBySuite | undefined = suiteStateFile && existsSync(suiteStateFile) ? JSON.parse(readFileSync(suiteStateFile, 'utf8')) : undefined;
  const clusterWasDown = earlier?.clusterWasDown ?? clusterProcessesRunning().length === 0;
  const started: StartedBySuite = { infra: [...(earlier?.infra ?? []), ...(await up())], clusterWasDown };
  writeFileSync(startedFile, JSON.stringify(started));
  writeFileSync(namesFile, '');
  // Test workers start after this and inherit the variables (see @eventline/testkit uniqueName, and
  // clusterUp, which records the run that started the node).
  process.env.EVENTLINE_TEST_NAMES_FILE = namesFile;
  process.env.EVENTLINE_TEST_RUN = String(process.pid);
}
