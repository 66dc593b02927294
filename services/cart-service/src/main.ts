import '@eventline/observability/start-tracing';
import { runService } from '@eventline/runtime';
import { cartService } from './service';

runService(cartService);
