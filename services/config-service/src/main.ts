import '@eventline/observability/start-tracing';
import { createLogger, stopTracing } from '@eventline/observability';
import { createConfigService } from './service';
import { loadSettings } from './settings';
import { ConfigMapSource, configMapSelector } from './sources/configmap-source';
import { FolderSource } from './sources/folder-source';

const settings = loadSettings();
const logger = createLogger('config-service', settings.LOG_LEVEL);
const resyncMs = settings.RESYNC_SECONDS * 1000;
const service = createConfigService(settings, logger, (store) =>
  settings.CONFIG_SOURCE === 'kubernetes'
    ? new ConfigMapSource({ namespace: settings.NAMESPACE, label: settings.CONFIG_LABEL, release: settings.RELEASE_NAME, store, logger, resyncMs })
    : new FolderSource({ dir: settings.CONFIG_DIR, store, logger, resyncMs }),
);
service.http.onShutdown('trace export', stopTracing);
service.http.installSignalHandlers();
service.start().then(
  ({ port }) =>
    logger.info(
      {
        port,
        source: settings.CONFIG_SOURCE,
        ...(settings.CONFIG_SOURCE === 'kubernetes'
          ? { namespace: settings.NAMESPACE, selector: configMapSelector(settings.CONFIG_LABEL, settings.RELEASE_NAME) }
          : { dir: settings.CONFIG_DIR }),
      },
      'config-service serving',
    ),
  (error: unknown) => {
    logger.fatal({ err: error }, 'start-up failed');
    process.exit(1);
  },
);
