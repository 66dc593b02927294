import '@eventline/observability/start-tracing';
import { ConfigError } from '@eventline/config';
import { createLogger, stopTracing } from '@eventline/observability';
import { createGateway } from './gateway';
import { loadGatewaySettings, type GatewaySettings } from './settings';

function settingsOrExit(): GatewaySettings {
  try {
    return loadGatewaySettings();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return process.exit(78);
  }
}

const settings = settingsOrExit();
const logger = createLogger('gateway', settings.logLevel);
const gateway = createGateway({
  port: settings.port,
  logger,
  table: settings.table,
  upstreams: settings.upstreams,
  upstreamTimeoutMs: settings.upstreamTimeoutMs,
});
gateway.onShutdown('trace export', stopTracing);
gateway.installSignalHandlers();
gateway.start().then(
  () => logger.info({ upstreams: Object.fromEntries([...settings.upstreams].map(([name, url]) => [name, url.origin + url.pathname])) }, 'gateway routing'),
  (error: unknown) => {
    logger.fatal({ err: error }, 'start-up failed');
    process.exit(1);
  },
);
