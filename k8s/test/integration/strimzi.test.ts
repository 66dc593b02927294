import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../infra/src/settings';
import { clusterStatus, clusterUp } from '../../../infra/src/cluster/cluster';
import { inRegistry } from '../../../infra/src/cluster/docker-images';
import { ensureStrimziBuild } from '../../../infra/src/cluster/strimzi-build';
import { ensureStrimziImages, strimziKafkaRef, strimziOperatorRef } from '../../../infra/src/cluster/strimzi-images';
import { clusterSuite } from './kube';

/**
 * Strimzi 1.2.0 built from the vendored source (Maven) and its operator and Kafka images built on
 * the local bases. The operator installed with Strimzi's own chart, reconciling the chart's Kafka,
 * topics and users, and the ACLs enforced by the broker are tested with the whole chart
 * (whole-chart.test.ts), which installs it once. The cluster is started only if it is down.
 */
const suite = clusterSuite;
const minutes = (n: number) => n * 60_000;

suite('Strimzi 1.2.0 from the vendored source on the local cluster', () => {
  beforeAll(async () => {
    const { rows } = await clusterStatus();
    if (rows.some((r) => r.health !== 'healthy')) await clusterUp();
  }, minutes(30));

  it(
    'builds the operators and the Kafka agents with Maven from the vendored source, once',
    async () => {
      const build = await ensureStrimziBuild();
      for (const file of [...build.operatorDists, build.kafkaAgentJar, build.tracingAgentJar]) expect(existsSync(file)).toBe(true);
      expect(existsSync(join(build.dir, 'done'))).toBe(true);
      // Another process finds the cached build and does nothing.
      const again = spawnSync('npx', ['tsx', join(repoRoot, 'infra', 'src', 'cluster', 'cli.ts'), 'strimzi-build'], { cwd: repoRoot, encoding: 'utf8' });
      expect(again.status).toBe(0);
      expect(again.stdout.trim()).toBe(build.dir);
      expect(again.stderr).not.toContain('building Strimzi');
    },
    minutes(40),
  );

  it(
    "builds the operator and Kafka images on the Debian base and pushes them to the cluster's registry",
    async () => {
      const times = await ensureStrimziImages();
      expect(times.map((t) => t.image)).toEqual(expect.arrayContaining([strimziOperatorRef, strimziKafkaRef]));
      for (const t of times) expect(inRegistry(t.image)).toBe(true);
    },
    minutes(20),
  );
});
