import type { Pool } from 'pg';
import { migrateWithSeed, stateEvent } from '@eventline/runtime';
import { USERS_TOPIC, USER_STATE, type User } from './users';

/** The four users of seed 000: the initial data of a new installation. */
export const seedUsers: Omit<User, 'version'>[] = [
  { id: 1, firstname: 'Neha', lastname: 'Parate', email: 'neha.parate@gmail.com' },
  { id: 2, firstname: 'Aravind', lastname: 'Dekate', email: 'aravind.dekate@gmail.com' },
  { id: 3, firstname: 'Mayur', lastname: 'Devghare', email: 'mayur.devghare@gmail.com' },
  { id: 4, firstname: 'Suchita', lastname: 'Vinchurkar', email: 'suchita.vinchurkar@gmail.com' },
];

export function migrate(pool: Pool, source: string): Promise<void> {
  return migrateWithSeed(pool, {
    name: 'users',
    ddl: `
      CREATE TABLE IF NOT EXISTS users (
        id        integer     PRIMARY KEY,
        firstname varchar(45) NOT NULL,
        lastname  varchar(45) NOT NULL,
        email     varchar(45) NOT NULL,
        version   bigint      NOT NULL DEFAULT 1
      );
      CREATE SEQUENCE IF NOT EXISTS users_id_seq OWNED BY users.id;`,
    seed: async (tx) => {
      for (const u of seedUsers) {
        await tx.query('INSERT INTO users (id, firstname, lastname, email) VALUES ($1, $2, $3, $4)', [u.id, u.firstname, u.lastname, u.email]);
      }
      await tx.query(`SELECT setval('users_id_seq', (SELECT max(id) FROM users))`);
      return seedUsers.map((u) => stateEvent(source, USERS_TOPIC, USER_STATE, u.id, { ...u, version: 1 }));
    },
  });
}
