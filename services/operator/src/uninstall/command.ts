import { z } from 'zod';
import { bool, int, loadConfigOrExit, logLevel, str } from '@eventline/config';
import { createLogger } from '@eventline/observability';
import { defaultKubeConfig, INSTANCE_LABEL, JobClient, ownedByRelease, podNamespace, tearDown, type ResourceKind } from '@eventline/operator-kit';
import { redriveKind, replayKind } from '../kinds';

/**
 * The chart's pre-delete hook: before `helm uninstall` deletes anything, the release's Replays and
 * Redrives go while eventline-operator still runs to clean up after them (their Jobs, groups,
 * unswitched rebuilds), then its KafkaTopics and KafkaUsers while Strimzi's entity operator still
 * runs to release them. Deleted together with their controllers, they would hold the namespace in
 * Terminating for ever. Last, the hook Jobs a failed install or upgrade left (Helm keeps a failed
 * hook for its post-mortem and deletes none on uninstall).
 */
const settings = loadConfigOrExit(
  z.object({
    LOG_LEVEL: logLevel(),
    WATCH_NAMESPACE: str({ default: podNamespace() ?? 'default' }),
    RELEASE_NAME: str(),
    /** As the operator's: unlabelled Replays and Redrives are this release's. */
    RELEASE_TAKES_UNLABELLED: bool(true),
    /** The release's Kafka is Strimzi's: its KafkaTopics and KafkaUsers go too. */
    TEARDOWN_STRIMZI: bool(false),
    /** How long each stage waits for the finalizers' controller before removing them itself. */
    TEARDOWN_STAGE_SECONDS: int({ min: 1, max: 3600, default: 120 }),
  }),
);
const logger = createLogger('operator-uninstall', settings.LOG_LEVEL);

const strimzi = (plural: string, kind: string): ResourceKind => ({ group: 'kafka.strimzi.io', version: 'v1', plural, kind });
const release = { release: settings.RELEASE_NAME, takeUnlabelled: settings.RELEASE_TAKES_UNLABELLED };

const kubeConfig = defaultKubeConfig();

/** The release's schemas hook Jobs left behind (the running uninstall Job is not one of them). */
async function deleteLeftHookJobs(): Promise<string[]> {
  const jobs = new JobClient(kubeConfig);
  const left = await jobs.list(settings.WATCH_NAMESPACE, `${INSTANCE_LABEL}=${settings.RELEASE_NAME},app.kubernetes.io/name=schemas`);
  const names = left.items.map((job) => job.metadata?.name ?? '').filter(Boolean);
  for (const name of names) await jobs.delete(settings.WATCH_NAMESPACE, name);
  return names;
}

tearDown({
  kubeConfig,
  namespace: settings.WATCH_NAMESPACE,
  stageDeadlineMs: settings.TEARDOWN_STAGE_SECONDS * 1000,
  logger,
  stages: [
    { kinds: [replayKind, redriveKind], owned: (object) => ownedByRelease(release, object), finalizedBy: 'eventline-operator' },
    ...(settings.TEARDOWN_STRIMZI
      ? [
          {
            kinds: [strimzi('kafkatopics', 'KafkaTopic'), strimzi('kafkausers', 'KafkaUser')],
            owned: (object: { metadata?: { labels?: Record<string, string> } }) => object.metadata?.labels?.[INSTANCE_LABEL] === settings.RELEASE_NAME,
            finalizedBy: "Strimzi's entity operator",
          },
        ]
      : []),
  ],
})
  .then(async (reports) => ({ reports, hookJobs: await deleteLeftHookJobs() }))
  .then(
    ({ reports, hookJobs }) => {
      const forced = reports.flatMap((r) => r.forced);
      logger.info({ reports, hookJobs }, forced.length === 0 ? 'release torn down in order' : `release torn down; ${forced.length} object(s) had their finalizers removed`);
      process.exit(0);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'teardown failed');
      process.exit(1);
    },
  );
