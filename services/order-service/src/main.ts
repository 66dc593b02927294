import '@eventline/observability/start-tracing';
import { runService } from '@eventline/runtime';
import { orderService } from './service';

runService(orderService);
