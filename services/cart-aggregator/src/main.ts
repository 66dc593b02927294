import { runService } from '@eventline/runtime';
import { cartAggregatorService } from './service';

runService(cartAggregatorService());
