import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { createDatabase } from '@eventline/testkit';
import { withMigrationLock } from '../../src';

const DDL = `
  CREATE TABLE IF NOT EXISTS widget (id bigint PRIMARY KEY, name text NOT NULL);
  CREATE INDEX IF NOT EXISTS widget_name ON widget (name);`;

describe('withMigrationLock', () => {
  let url: string;
  let replicas: Pool[];

  beforeEach(async () => {
    url = await createDatabase('migration_lock');
    // One connection each, as small as a pool gets: the lock is held beside it, not on it.
    replicas = Array.from({ length: 6 }, () => new Pool({ connectionString: url, max: 1 }));
  });

  afterEach(async () => {
    await Promise.all(replicas.map((pool) => pool.end()));
  });

  it('lets replicas starting together migrate one at a time, none of them failing', async () => {
    let inside = 0;
    let mostInside = 0;
    const outcomes = await Promise.allSettled(
      replicas.map((pool) =>
        withMigrationLock(pool, async () => {
          inside += 1;
          mostInside = Math.max(mostInside, inside);
          await pool.query(DDL);
          await sleep(20);
          inside -= 1;
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(mostInside).toBe(1);
    const tables = await replicas[0]!.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    expect(tables.rows.map((r) => r.tablename)).toEqual(['widget']);
  });

  it('lets the next replica in when a migration fails, the failure passed on', async () => {
    const [failing, next] = replicas;
    await expect(
      withMigrationLock(failing!, async () => {
        throw new Error('DDL refused');
      }),
    ).rejects.toThrow('DDL refused');
    // Had the failed one kept the lock, this would wait on it until the test's timeout.
    await expect(withMigrationLock(next!, () => next!.query(DDL).then(() => 'migrated'))).resolves.toBe('migrated');
  });
});
