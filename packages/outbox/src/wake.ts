/**
 * Wake-ups within the process: a commit that queued outbox rows wakes this process's relays at
 * once, where a pg_notify per commit would cost every writer a global lock at commit (a third of
 * the command path's throughput, measured). Relays elsewhere find the rows at their next poll.
 */
const relays = new Set<() => void>();

export function onOutboxCommit(wake: () => void): () => void {
  relays.add(wake);
  return () => relays.delete(wake);
}

export function outboxCommitted(): void {
  for (const wake of relays) wake();
}
