import '@eventline/observability/start-tracing';
import { runService } from '@eventline/runtime';
import { operatorService } from './service';

runService(operatorService());
