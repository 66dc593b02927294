import { ConcurrencyError, type AppendOptions, type EventStore, type NewEvent, type StoredEvent } from './store';

export type Evolve<S> = (state: S, event: StoredEvent) => S;
/** Decides what happened in answer to a command, from the current state; throws to refuse it. */
export type Decide<S, C> = (state: S, command: C) => NewEvent[];

export function fold<S>(events: StoredEvent[], evolve: Evolve<S>, initial: S): S {
  return events.reduce(evolve, initial);
}

export interface CommandHandling<S, C> {
  store: EventStore;
  streamId: string;
  initial: S;
  evolve: Evolve<S>;
  decide: Decide<S, C>;
  command: C;
  append?: AppendOptions;
  /** Re-reads and re-decides this many times when another writer appended first. */
  retries?: number;
}

export interface CommandResult<S> {
  state: S;
  version: number;
  events: StoredEvent[];
}

/** command → fold the stream → decide → append with the expected version, retried on a conflict. */
export async function handleCommand<S, C>(h: CommandHandling<S, C>): Promise<CommandResult<S>> {
  const retries = h.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const history = await h.store.readStream(h.streamId);
    const state = fold(history, h.evolve, h.initial);
    const version = history.at(-1)?.version ?? 0;
    const decided = h.decide(state, h.command);
    try {
      const appended = await h.store.append(h.streamId, version, decided, h.append);
      return { state: fold(appended, h.evolve, state), version: appended.at(-1)?.version ?? version, events: appended };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= retries) throw error;
    }
  }
}
