import { runService } from '@eventline/runtime';
import { orderService } from './service';

runService(orderService);
