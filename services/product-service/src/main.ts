import '@eventline/observability/start-tracing';
import { runService } from '@eventline/runtime';
import { productService } from './service';

runService(productService);
