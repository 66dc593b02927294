import { createHttpService, type HttpService } from '@eventline/http';
import type { Logger } from '@eventline/observability';
import { ConfigStore } from './config-store';
import { EventStreams } from './event-stream';
import { registerConfigRoutes } from './routes';
import type { ConfigServiceSettings } from './settings';
import type { ConfigSource } from './sources/source';

export interface ConfigService {
  http: HttpService;
  store: ConfigStore;
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

/** Wires a source, the store and the HTTP routes; the source is started before the port opens. */
export function createConfigService(settings: ConfigServiceSettings, logger: Logger, makeSource: (store: ConfigStore) => ConfigSource): ConfigService {
  const store = new ConfigStore();
  const source = makeSource(store);
  const streams = new EventStreams(settings.HEARTBEAT_SECONDS * 1000);
  const http = createHttpService({
    name: 'config-service',
    port: settings.PORT,
    logger,
    readiness: [{ name: `${source.name} source`, check: () => source.isSynced() }],
    routes: (router) => registerConfigRoutes(router, { store, streams }),
  });
  http.onDrain('watch streams', () => streams.closeAll());
  http.onShutdown(`${source.name} source`, () => source.stop());
  return {
    http,
    store,
    async start() {
      await source.start();
      return http.start();
    },
    stop: () => http.stop(),
  };
}
