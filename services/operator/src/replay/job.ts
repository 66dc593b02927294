import type { V1EnvVar, V1Job, V1OwnerReference, V1PodTemplateSpec } from '@kubernetes/client-node';
import { templateJob } from '@eventline/operator-kit';
import { readModels, switchRequested } from './read-models';
import { RESULT_PATH } from './result';
import type { Replay } from './types';

export const REPLAY_LABEL = 'eventline.dev/replay';

/** Job names: at most 63 characters, the Replay's name kept whole when it fits. */
export function replayJobName(replay: Replay, suffix = ''): string {
  const base = `replay-${replay.metadata.name}`.slice(0, 63 - suffix.length).replace(/-+$/, '');
  return `${base}${suffix}`;
}

export const replayGroupId = (prefix: string, replay: Replay): string => `${prefix}${replay.spec.service}.replay-${replay.metadata.uid}`;

export interface ReplayJobOptions {
  /** The service's own pod template (its Deployment's or StatefulSet's): image, environment, secrets. */
  template: V1PodTemplateSpec;
  groupId: string;
  /** The Replay as the Job's controller (garbage collection); none for the cleanup Job. */
  owner?: V1OwnerReference;
  /** The cleanup run: drop what the unfinished rebuild left, rebuild nothing. */
  abandon?: boolean;
}

/**
 * The Job that runs a Replay: the service's own image and environment, its replay command, the
 * replay's group and switch setting in the environment; owned by the Replay (garbage-collected with
 * it). The cleanup Job of a deleted Replay has no owner: the operator deletes it when it is done.
 */
export function replayJob(replay: Replay, { template, groupId, owner, abandon = false }: ReplayJobOptions): V1Job {
  const model = readModels[replay.spec.service];
  const source = template.spec?.containers[0];
  if (!source?.image) throw new Error(`the pod template of ${replay.spec.service} has no container image`);
  const replayEnv: V1EnvVar[] = [
    { name: 'REPLAY_GROUP_ID', value: groupId },
    { name: 'REPLAY_SWITCH', value: String(switchRequested(replay.spec.service, replay.spec.switchWhenCaughtUp)) },
    { name: 'REPLAY_ABANDON', value: String(abandon) },
    { name: 'REPLAY_RESULT_PATH', value: RESULT_PATH },
  ];
  const env = [...(source.env ?? []).filter((e) => !e.name.startsWith('REPLAY_') && e.name !== 'PORT'), ...replayEnv];
  const labels = { 'app.kubernetes.io/part-of': 'eventline', 'app.kubernetes.io/component': abandon ? 'replay-cleanup' : 'replay', [REPLAY_LABEL]: replay.metadata.name };
  return templateJob({
    name: replayJobName(replay, abandon ? '-cleanup' : ''),
    namespace: replay.metadata.namespace,
    labels,
    owner,
    template,
    container: 'replay',
    command: model.command,
    env,
    // The result (the generation served now) comes back as the pod's termination message.
    resultPath: RESULT_PATH,
    backoffLimit: 2,
    ttlSecondsAfterFinished: abandon ? undefined : 86_400,
  });
}
