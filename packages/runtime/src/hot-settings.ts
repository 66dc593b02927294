import { z } from 'zod';
import { int, list, logLevel } from '@eventline/config';
import type { Logger } from '@eventline/observability';

/** The settings a running service takes from config-service without a restart. */
export const hotSettings = {
  LOG_LEVEL: logLevel('info'),
  /** Comma-separated names of the features switched on. */
  FEATURE_FLAGS: list({ min: 0, default: [] }),
  /** Partitions each of the service's consumers handles at once; unset: each consumer's own default. */
  CONSUMER_CONCURRENCY: int({ min: 1, max: 64 }).optional(),
};

const hotShape = z.object(hotSettings);
export type HotSettings = z.output<typeof hotShape>;
export const HOT_SETTING_NAMES = Object.keys(hotSettings) as (keyof HotSettings)[];

/** Feature flags a service's code asks about; config-service switches them at runtime. */
export class FeatureFlags {
  private enabled: Set<string>;

  constructor(names: Iterable<string> = []) {
    this.enabled = new Set(names);
  }

  isEnabled(name: string): boolean {
    return this.enabled.has(name);
  }

  list(): string[] {
    return [...this.enabled].sort();
  }

  replace(names: Iterable<string>): void {
    this.enabled = new Set(names);
  }
}

export interface HotTargets {
  logger: Logger;
  flags: FeatureFlags;
  consumers: { setConcurrency(concurrency: number): Promise<void> }[];
  /** Each consumer's concurrency when CONSUMER_CONCURRENCY is unset. */
  defaultConcurrency: number[];
}

/**
 * Validates the hot settings of `source` (the environment overlaid with config-service's settings)
 * and applies them. An invalid value is logged and the current one kept: a typo in a ConfigMap must
 * not take a running service down.
 */
export async function applyHotSettings(source: Record<string, string | undefined>, targets: HotTargets): Promise<HotSettings | undefined> {
  // As at start-up (loadConfig): an empty value counts as unset.
  const given = Object.fromEntries(HOT_SETTING_NAMES.filter((name) => source[name]).map((name) => [name, source[name]]));
  const parsed = hotShape.safeParse(given);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), problem: issue.message }));
    targets.logger.error({ problems }, 'config-service sent invalid settings; keeping the current ones');
    return undefined;
  }
  const hot = parsed.data;
  if (targets.logger.level !== hot.LOG_LEVEL) {
    targets.logger.level = hot.LOG_LEVEL;
    targets.logger.info({ level: hot.LOG_LEVEL }, 'log level changed');
  }
  const flags = [...new Set(hot.FEATURE_FLAGS)].sort();
  if (flags.join(',') !== targets.flags.list().join(',')) {
    targets.flags.replace(flags);
    targets.logger.info({ flags }, 'feature flags changed');
  }
  await Promise.all(targets.consumers.map((consumer, i) => consumer.setConcurrency(hot.CONSUMER_CONCURRENCY ?? targets.defaultConcurrency[i] ?? 1)));
  return hot;
}
