import { sleep, until } from './kube';

const NO_ANSWER_PAUSE_MS = 200;

export interface Answer {
  status: number;
  body: unknown;
}

export interface SteadyLoad<C> {
  /** The commands answered 2xx, in the order their answers came. */
  accepted: C[];
  /** Every command that was not, with its status (0: no answer, the request failed), body, and when its answer came (ms after the load began). */
  failed: { command: C; status: number; body: unknown; atMs: number }[];
  /** Resolves once `n` more commands were answered. */
  answersMore(n: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `clients` concurrent clients, each sending one command after another until stopped: the i-th
 * command overall is `command(i)`. A load that runs through whatever a test does meanwhile, every
 * outcome kept for the count of failed requests and for checking the accepted ones against the reads.
 */
export function steadyLoad<C>(clients: number, command: (i: number) => C, send: (command: C) => Promise<Answer>): SteadyLoad<C> {
  const accepted: C[] = [];
  const failed: SteadyLoad<C>['failed'] = [];
  let running = true;
  let answered = 0;
  const began = Date.now();
  const client = async (offset: number) => {
    for (let i = offset; running; i += clients) {
      const next = command(i);
      const answer = await send(next).catch((error: Error) => ({ status: 0, body: `${error.name}: ${error.message}` }));
      answered += 1;
      if (answer.status >= 200 && answer.status < 300) accepted.push(next);
      else failed.push({ command: next, status: answer.status, body: answer.body, atMs: Date.now() - began });
      // A request that got no answer (a port-forward gone, refused at once) is not retried in a tight
      // loop: that would pile up millions of failures in this process while a fault runs for minutes.
      if (answer.status === 0) await sleep(NO_ANSWER_PAUSE_MS);
    }
  };
  const load = Promise.all(Array.from({ length: clients }, (_, offset) => client(offset)));
  return {
    accepted,
    failed,
    async answersMore(n) {
      const target = answered + n;
      await until(`${n} more answers`, () => (answered >= target ? true : undefined), 180_000);
    },
    async stop() {
      running = false;
      await load;
    },
  };
}
