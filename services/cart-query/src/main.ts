import { runService } from '@eventline/runtime';
import { cartQuery } from './service';

runService(cartQuery);
