/** Something that fills a ConfigStore and keeps it current until stopped. */
export interface ConfigSource {
  readonly name: string;
  /** Resolves once the store holds a first complete view. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The latest view is complete and the source is connected (the readiness check). */
  isSynced(): boolean;
}

/** A setting's value as served: strings as they are, numbers and booleans as text. */
export function settingValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
