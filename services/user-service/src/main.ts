import '@eventline/observability/start-tracing';
import { runService } from '@eventline/runtime';
import { userService } from './service';

runService(userService);
