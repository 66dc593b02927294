import '@eventline/observability/start-tracing';
import { runService } from '@eventline/runtime';
import { cartQuery } from './service';

runService(cartQuery);
