import type { ReplayService } from './types';

/** What the operator needs to know of each rebuildable read model. */
export interface ReadModel {
  /** The topics its replay reads (catalog names, without KAFKA_NAME_PREFIX). */
  topics: string[];
  /** The replay command inside the service's image (the image's layout keeps each workspace's dist/). */
  command: string[];
  /** Whether reads can be switched to the rebuilt model (cart-aggregator's replay only compares). */
  switchable: boolean;
  /** Whether an unfinished rebuild leaves something behind that REPLAY_ABANDON drops. */
  leavesBehind: boolean;
}

export const readModels: Record<ReplayService, ReadModel> = {
  'order-service': { topics: ['users', 'products'], command: ['node', 'services/order-service/dist/replay.js'], switchable: true, leavesBehind: true },
  'cart-query': { topics: ['cart-details'], command: ['node', 'services/cart-query/dist/replay.js'], switchable: true, leavesBehind: true },
  'cart-aggregator': { topics: ['cart-events'], command: ['node', 'services/cart-aggregator/dist/replay.js'], switchable: false, leavesBehind: false },
};

export const switchRequested = (service: ReplayService, switchWhenCaughtUp: boolean | undefined): boolean => readModels[service].switchable && switchWhenCaughtUp !== false;
