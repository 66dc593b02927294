import '@eventline/observability/start-tracing';
import { runService } from '@eventline/runtime';
import { cartAggregatorService } from './service';

runService(cartAggregatorService());
