import type { PoolClient } from 'pg';
import { ConcurrencyError, type AppendOptions, type EventStore, type NewEvent, type StoredEvent } from './store';

export type Evolve<S> = (state: S, event: StoredEvent) => S;
/** Decides what happened in answer to a command, from the current state; throws to refuse it. */
export type Decide<S, C> = (state: S, command: C) => NewEvent[];

export function fold<S>(events: StoredEvent[], evolve: Evolve<S>, initial: S): S {
  return events.reduce(evolve, initial);
}

/**
 * Snapshots of an aggregate: one is saved after a command whose events bring the stream `every` or
 * more versions past the snapshot it was folded from; `save` and `load` turn the state into JSON and
 * back. Commands then read fewer than `every` events whatever the stream's length.
 */
export interface SnapshotPolicy<S> {
  every: number;
  save(state: S): unknown;
  load(json: unknown): S;
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
  /** Recorded with each event the command appends (who asked for it: request id, Idempotency-Key, envelope). */
  metadata?: (event: NewEvent) => Record<string, unknown>;
  /**
   * Writes what must commit with the events, in their transaction (the command's response for its
   * Idempotency-Key). Unset: the append is one statement on its own.
   */
  withEvents?: (tx: PoolClient, result: CommandResult<S>) => Promise<void>;
  snapshots?: SnapshotPolicy<S>;
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
    const { snapshot, events: history } = h.snapshots ? await h.store.readFromSnapshot(h.streamId) : { snapshot: undefined, events: await h.store.readStream(h.streamId) };
    const state = fold(history, h.evolve, snapshot && h.snapshots ? h.snapshots.load(snapshot.state) : h.initial);
    const version = history.at(-1)?.version ?? snapshot?.version ?? 0;
    const decided = h.metadata ? h.decide(state, h.command).map((event) => ({ ...event, metadata: { ...event.metadata, ...h.metadata!(event) } })) : h.decide(state, h.command);
    const appendAndFold = async (tx?: PoolClient): Promise<CommandResult<S>> => {
      const appended = await h.store.append(h.streamId, version, decided, { ...h.append, tx });
      return { state: fold(appended, h.evolve, state), version: appended.at(-1)?.version ?? version, events: appended };
    };
    let result: CommandResult<S>;
    try {
      const { withEvents } = h;
      result = withEvents
        ? await h.store.transaction(async (tx) => {
            const appended = await appendAndFold(tx);
            await withEvents(tx, appended);
            return appended;
          })
        : await appendAndFold();
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= retries) throw error;
      continue;
    }
    const last = result.events.at(-1);
    if (h.snapshots && last && result.version - (snapshot?.version ?? 0) >= h.snapshots.every) {
      // The command has committed; a snapshot only saves later reads, so one that fails is left for
      // the next command to take.
      await h.store.saveSnapshot(h.streamId, result.version, h.snapshots.save(result.state), last.recordedAt).catch(() => undefined);
    }
    return result;
  }
}
