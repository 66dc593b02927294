import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '@eventline/observability';
import { statusCodeOf } from './api-errors';
import type { ResourceKind } from './resource';

/** Custom resources that go together, before the next stage's, because a controller of a later stage's is still needed. */
export interface TeardownStage {
  kinds: ResourceKind[];
  /** Which of the namespace's objects of these kinds are to go (the release's). */
  owned(object: KubernetesObject): boolean;
  /** The controller whose finalizers hold them until it has cleaned up (for the log). */
  finalizedBy: string;
}

export interface TeardownOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  stages: TeardownStage[];
  /** How long a stage waits for its finalizers to be released before it removes them itself. */
  stageDeadlineMs: number;
  pollMs?: number;
  logger: Logger;
}

export interface StageReport {
  kinds: string[];
  deleted: number;
  /** Still there at the deadline: their finalizers removed without their controller's cleanup. */
  forced: string[];
}

/**
 * Deletes custom resources in stages, each waiting until its objects are gone: an uninstall that
 * deletes a controller together with the resources it finalizes leaves them (and their namespace)
 * stuck in Terminating. A kind whose CRD is not installed has nothing to delete.
 */
export async function tearDown(options: TeardownOptions): Promise<StageReport[]> {
  const api = options.kubeConfig.makeApiClient(CustomObjectsApi);
  const reports: StageReport[] = [];
  for (const stage of options.stages) reports.push(await tearDownStage(api, options, stage));
  return reports;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function tearDownStage(api: CustomObjectsApi, options: TeardownOptions, stage: TeardownStage): Promise<StageReport> {
  const { namespace, logger } = options;
  const where = (kind: ResourceKind) => ({ group: kind.group, version: kind.version, plural: kind.plural, namespace });
  const list = async (): Promise<{ kind: ResourceKind; object: KubernetesObject }[]> => {
    const found: { kind: ResourceKind; object: KubernetesObject }[] = [];
    for (const kind of stage.kinds) {
      try {
        const { items } = (await api.listNamespacedCustomObject(where(kind))) as { items: KubernetesObject[] };
        for (const object of items) if (stage.owned(object)) found.push({ kind, object });
      } catch (error) {
        if (statusCodeOf(error) !== 404) throw error;
      }
    }
    return found;
  };
  const name = (entry: { kind: ResourceKind; object: KubernetesObject }) => `${entry.kind.plural}/${entry.object.metadata?.name}`;
  const doomed = await list();
  for (const entry of doomed) {
    try {
      await api.deleteNamespacedCustomObject({ ...where(entry.kind), name: entry.object.metadata?.name ?? '' });
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw error;
    }
  }
  const report: StageReport = { kinds: stage.kinds.map((k) => k.plural), deleted: doomed.length, forced: [] };
  const uids = new Set(doomed.map((d) => d.object.metadata?.uid));
  const deadline = Date.now() + options.stageDeadlineMs;
  for (;;) {
    const left = (await list()).filter((entry) => uids.has(entry.object.metadata?.uid));
    if (left.length === 0) break;
    if (Date.now() >= deadline) {
      logger.warn(
        { left: left.map(name), finalizedBy: stage.finalizedBy },
        `${stage.finalizedBy} did not release them within ${options.stageDeadlineMs} ms: removing their finalizers`,
      );
      for (const entry of left) {
        try {
          await api.patchNamespacedCustomObject({ ...where(entry.kind), name: entry.object.metadata?.name ?? '', body: { metadata: { finalizers: null } } }, mergePatch);
        } catch (error) {
          if (statusCodeOf(error) !== 404) throw error;
        }
        report.forced.push(name(entry));
      }
      break;
    }
    await sleep(options.pollMs ?? 1_000);
  }
  logger.info(report, `deleted ${report.deleted} ${report.kinds.join(', ')}`);
  return report;
}
