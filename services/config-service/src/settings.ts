import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { int, loadConfigOrExit, logLevel, oneOf, str } from '@eventline/config';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
export const DEFAULT_CONFIG_DIR = resolve(__dirname, '..', '..', '..', 'config');

/**
 * CONFIG_SOURCE: `kubernetes` (ConfigMaps of NAMESPACE labelled CONFIG_LABEL=<service>; credentials
 * from KUBECONFIG or the pod's service account) or `folder` (CONFIG_DIR/<service>.json).
 * Default: kubernetes inside a pod, folder elsewhere.
 */
export const configServiceSettings = {
  /** 0 picks a free port (tests). */
  PORT: int({ min: 0, max: 65535, default: 8094 }),
  LOG_LEVEL: logLevel('info'),
  CONFIG_SOURCE: oneOf(['kubernetes', 'folder'] as const, existsSync(SERVICE_ACCOUNT_NAMESPACE) ? 'kubernetes' : 'folder'),
  CONFIG_DIR: str({ default: DEFAULT_CONFIG_DIR }),
  NAMESPACE: str({ default: existsSync(SERVICE_ACCOUNT_NAMESPACE) ? readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim() : 'default' }),
  CONFIG_LABEL: str({ default: 'eventline.dev/config-for' }),
  /** The Helm release whose ConfigMaps it serves (app.kubernetes.io/instance); empty: every labelled one. */
  RELEASE_NAME: str({ default: '' }),
  /** How often the cached ConfigMaps are re-delivered to the store (client-go's resync), and the folder rescanned. */
  RESYNC_SECONDS: int({ min: 1, max: 3600, default: 60 }),
  /** Idle server-sent-event streams get a comment this often, so proxies keep them open. */
  HEARTBEAT_SECONDS: int({ min: 1, max: 300, default: 15 }),
};

export type ConfigServiceSettings = z.output<z.ZodObject<typeof configServiceSettings>>;

export function loadSettings(env: NodeJS.ProcessEnv = process.env): ConfigServiceSettings {
  return loadConfigOrExit(z.object(configServiceSettings), { env }) as ConfigServiceSettings;
}
