import '@eventline/observability/start-tracing';
import { runService } from '@eventline/runtime';
import { fulfillmentService } from './service';

runService(fulfillmentService);
