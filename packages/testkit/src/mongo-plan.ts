import type { CommandStartedEvent, Db, Document, MongoClient } from 'mongodb';

/**
 * What an explain says about a query, on FerretDB (which reports DocumentDB's PostgreSQL plan:
 * "Node Type", "Index Name", "Index Cond") or on MongoDB (winningPlan stages, "indexName").
 */
export interface QueryPlan {
  /** The indexes the plan reads through an index condition on the query. */
  indexes: string[];
  /** Why it is a collection scan, or undefined when it is none. */
  collectionScan: string | undefined;
  raw: Document;
}

function nodes(value: unknown, into: Document[] = []): Document[] {
  if (Array.isArray(value)) for (const v of value) nodes(v, into);
  else if (value !== null && typeof value === 'object') {
    into.push(value as Document);
    for (const v of Object.values(value)) nodes(v, into);
  }
  return into;
}

export function readPlan(explained: Document): QueryPlan {
  const all = nodes(explained.queryPlanner ?? explained);
  const indexes: string[] = [];
  let collectionScan: string | undefined;
  for (const node of all) {
    const type = node['Node Type'] as string | undefined;
    if (type === 'Seq Scan') collectionScan = `Seq Scan on ${String(node['Relation Name'])}`;
    if (type !== undefined && /Index/.test(type) && typeof node['Index Name'] === 'string') {
      const condition = String(node['Index Cond'] ?? '');
      // DocumentDB scans a whole collection through its _id index with only the collection's
      // shard key as the condition: that reads every document, as a Seq Scan would.
      if (/object_id|document/.test(condition)) indexes.push(node['Index Name']);
      else collectionScan = `${type} on ${String(node['Index Name'])} without a query condition (${condition})`;
    }
    if (node.stage === 'COLLSCAN') collectionScan = 'COLLSCAN';
    if (typeof node.indexName === 'string') indexes.push(node.indexName);
    if (node.stage === 'IDHACK' || node.stage === 'EXPRESS_IXSCAN') indexes.push('_id_');
  }
  if (indexes.length === 0 && collectionScan === undefined) collectionScan = 'no index in the plan';
  return { indexes: [...new Set(indexes)], collectionScan, raw: explained };
}

/**
 * The plan of a `find` with the given filter (and sort/projection/limit). FerretDB 2.5 explains
 * `find`, `aggregate` and `count` only ("explain for update command is not supported"), so an
 * update's or delete's filter is explained as the `find` of the same filter.
 */
export async function explainFind(db: Db, collection: string, find: { filter: Document; sort?: Document; projection?: Document; limit?: number }): Promise<QueryPlan> {
  const explained = await db.command({ explain: { find: collection, ...find }, verbosity: 'queryPlanner' });
  return readPlan(explained);
}

/**
 * Records the commands a client sends (the client must be made with `monitorCommands: true`), so a
 * test explains the very filters the code under test sends.
 */
export function recordCommands(client: MongoClient): { take(name: string): Document[] } {
  const seen: CommandStartedEvent[] = [];
  client.on('commandStarted', (event) => seen.push(event));
  return {
    take(name) {
      const taken = seen.filter((e) => e.commandName === name).map((e) => e.command);
      seen.length = 0;
      return taken;
    },
  };
}
