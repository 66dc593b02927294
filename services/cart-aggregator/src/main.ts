import { runService } from '@eventline/runtime';
import { cartAggregator } from './service';

runService(cartAggregator);
