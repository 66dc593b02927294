import type { Pool } from 'pg';
import { createOutboxSchema, enqueue, withTransaction } from '@eventline/outbox';
import { stateEvent } from '@eventline/runtime';
import { USERS_TOPIC, USER_STATE, type User } from './users';

/** The four users of seed 000: the initial data of a new installation. */
export const seedUsers: Omit<User, 'version'>[] = [
  { id: 1, firstname: 'Neha', lastname: 'Parate', email: 'neha.parate@gmail.com' },
  { id: 2, firstname: 'Aravind', lastname: 'Dekate', email: 'aravind.dekate@gmail.com' },
  { id: 3, firstname: 'Mayur', lastname: 'Devghare', email: 'mayur.devghare@gmail.com' },
  { id: 4, firstname: 'Suchita', lastname: 'Vinchurkar', email: 'suchita.vinchurkar@gmail.com' },
];

/**
 * Creates the tables and, in a database that has never had users, the seed rows together with their
 * UserState events, so the `users` topic starts with the same state as the table.
 */
export async function migrate(pool: Pool, source: string): Promise<void> {
  await createOutboxSchema(pool);
  await withTransaction(pool, async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('user-service.migrate'))`);
    await tx.query(`
      CREATE TABLE IF NOT EXISTS users (
        id        integer     PRIMARY KEY,
        firstname varchar(45) NOT NULL,
        lastname  varchar(45) NOT NULL,
        email     varchar(45) NOT NULL,
        version   bigint      NOT NULL DEFAULT 1
      );
      CREATE SEQUENCE IF NOT EXISTS users_id_seq OWNED BY users.id;
      CREATE TABLE IF NOT EXISTS seeded (what text PRIMARY KEY);
    `);
    const seeded = await tx.query(`INSERT INTO seeded VALUES ('users') ON CONFLICT DO NOTHING`);
    if (seeded.rowCount === 0) return;
    for (const user of seedUsers) {
      await tx.query('INSERT INTO users (id, firstname, lastname, email) VALUES ($1, $2, $3, $4)', [user.id, user.firstname, user.lastname, user.email]);
    }
    await tx.query(`SELECT setval('users_id_seq', (SELECT max(id) FROM users))`);
    await enqueue(tx, seedUsers.map((u) => stateEvent(source, USERS_TOPIC, USER_STATE, u.id, { ...u, version: 1 })));
  });
}
