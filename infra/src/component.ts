/** One server of the local infrastructure, as `infra up|down|status` sees it. */
export interface Component {
  name: string;
  version: string;
  address: string;
  ports: number[];
  /** Components that must be healthy and prepared before this one starts. */
  requires?: string[];
  /** Fetches or builds what the server needs into the cache; a no-op once cached. */
  install(): void | Promise<void>;
  start(): void | Promise<void>;
  isRunning(): boolean;
  healthy(): Promise<boolean>;
  waitHealthy(): Promise<void>;
  /** Extra steps after the server is healthy (databases, users); idempotent. */
  prepare?(): Promise<void>;
  /** A server the user runs elsewhere (EVENTLINE_MONGO_URL): never started or stopped, only checked. */
  external?: boolean;
  /** The signal that shuts the server down cleanly and promptly (SIGTERM unless said). */
  stopSignal?: NodeJS.Signals;
}
