import { runService } from '@eventline/runtime';
import { operatorService } from './service';

runService(operatorService());
