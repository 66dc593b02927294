import { basename, dirname } from 'node:path';
import { startTracing } from './tracing';
import { tracingSettings } from './tracing-settings';

/**
 * Imported first by a service's entry point, so that the SDK is in place before koa, pg or mongodb
 * are loaded. The default service name is the entry point's package folder
 * (services/<name>/dist/main.js); OTEL_SERVICE_NAME overrides it.
 */
const entry = require.main?.filename ?? process.argv[1] ?? 'service';
const settings = tracingSettings(process.env, basename(dirname(dirname(entry))));
if (settings) startTracing(settings);
