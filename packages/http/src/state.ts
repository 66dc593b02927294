import type { Logger } from '@eventline/observability';

/** What the skeleton puts on ctx.state for every request. */
export interface ServiceState {
  /** From the x-request-id header when sane, else generated. */
  requestId: string;
  /** A child logger whose lines carry the request id. */
  log: Logger;
}
