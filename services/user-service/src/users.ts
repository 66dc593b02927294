import type { Pool, PoolClient } from 'pg';
import { insertOutboxRows, outboxColumns, outboxCommitted, outboxParameters, type PayloadValidator } from '@eventline/outbox';
import { publishChange, stateEvent } from '@eventline/runtime';

export const USERS_TOPIC = 'users';
export const USER_STATE = 'dev.eventline.users.UserState';

export interface User {
  id: number;
  firstname: string;
  lastname: string;
  email: string;
  version: number;
}

export type UserFields = Omit<User, 'id' | 'version'>;

interface UserRow extends Omit<User, 'version'> {
  version: string;
}

const toUser = (row: UserRow): User => ({ ...row, version: Number(row.version) });
const columns = 'id, firstname, lastname, email, version';

/**
 * A user's change and its UserState in one statement (one round trip, atomic without BEGIN/COMMIT,
 * named so each connection plans it once): the event is queued only if the row changed, with the
 * version the UPDATE assigned. The UPDATE's row lock comes before the outbox row's id is drawn (the
 * INSERT reads `updated`), so one user's events are queued in commit order.
 */
const UPDATE_USER = `
  WITH updated AS (
    UPDATE users SET firstname = $2, lastname = $3, email = $4, version = version + 1
    WHERE id = $1 AND (firstname, lastname, email) IS DISTINCT FROM ($2, $3, $4)
    RETURNING ${columns}
  ), queued AS (
    ${insertOutboxRows(5, 'true', { from: 'updated', payload: "jsonb_set(r.payload::jsonb, '{version}', to_jsonb(updated.version))" })}
  )
  SELECT ${columns} FROM updated`;

/**
 * The users table and its events: each change writes the row and its UserState (or a tombstone) to
 * the outbox in the same transaction. The UPDATE takes the row lock before the outbox insert, so the
 * events of one user are queued in commit order.
 */
export class Users {
  constructor(
    private readonly pool: Pool,
    private readonly source: string,
    private readonly validate: PayloadValidator,
  ) {}

  async list(): Promise<User[]> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${columns} FROM users ORDER BY id`);
    return rows.map(toUser);
  }

  async find(id: number): Promise<User | undefined> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${columns} FROM users WHERE id = $1`, [id]);
    return rows[0] && toUser(rows[0]);
  }

  /** `withCreated`: what commits with the new user (the command's keyed response). */
  async create(fields: UserFields, withCreated?: (tx: PoolClient, created: User) => Promise<void>): Promise<User> {
    const created = await publishChange(
      this.pool,
      async (tx) =>
        toUser(
          (
            await tx.query<UserRow>(`INSERT INTO users (id, firstname, lastname, email) VALUES (nextval('users_id_seq'), $1, $2, $3) RETURNING ${columns}`, [
              fields.firstname,
              fields.lastname,
              fields.email,
            ])
          ).rows[0]!,
        ),
      (user) => [this.event(user)],
      this.validate,
      withCreated,
    );
    return created!;
  }

  /** Replaces a user's fields; a new version and event only when something changed. Undefined when there is no such user. */
  async update(id: number, fields: UserFields): Promise<User | undefined> {
    // The UserState as it will be, but for the version the statement assigns: checked against its schema first.
    const outbox = outboxColumns([this.event({ id, ...fields, version: 0 })], this.validate);
    const { rows } = await this.pool.query<UserRow>({
      name: 'users.update',
      text: UPDATE_USER,
      values: [id, fields.firstname, fields.lastname, fields.email, ...outboxParameters(outbox)],
    });
    if (rows[0]) {
      outboxCommitted();
      return toUser(rows[0]);
    }
    return this.find(id);
  }

  async remove(id: number): Promise<boolean> {
    const removed = await publishChange(
      this.pool,
      async (tx) => ((await tx.query('DELETE FROM users WHERE id = $1', [id])).rowCount === 1 ? id : undefined),
      (gone) => [stateEvent(this.source, USERS_TOPIC, USER_STATE, gone, null)],
    );
    return removed !== undefined;
  }

  private event(user: User) {
    return stateEvent(this.source, USERS_TOPIC, USER_STATE, user.id, { ...user });
  }
}
