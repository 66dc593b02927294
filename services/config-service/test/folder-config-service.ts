import { createLogger } from '@eventline/observability';
import { createConfigService, type ConfigService } from '../src/service';
import { FolderSource } from '../src/sources/folder-source';

const silent = createLogger('config-service-test', 'silent');

/** config-service serving `dir` (the folder source, as `npm run up` runs it), quiet, on a free port. */
export function folderConfigService(dir: string, heartbeatSeconds: number): ConfigService {
  return createConfigService(
    {
      PORT: 0,
      LOG_LEVEL: 'silent',
      CONFIG_SOURCE: 'folder',
      CONFIG_DIR: dir,
      NAMESPACE: 'unused',
      CONFIG_LABEL: 'unused',
      RELEASE_NAME: '',
      RESYNC_SECONDS: 60,
      HEARTBEAT_SECONDS: heartbeatSeconds,
    },
    silent,
    (store) => new FolderSource({ dir, store, logger: silent, resyncMs: 60_000 }),
  );
}
