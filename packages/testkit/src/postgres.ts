import { Client } from 'pg';
import { urls } from '@eventline/infra';
import { uniqueName } from './names';

/** Creates a fresh database for one test suite and returns its connection string. */
export async function createDatabase(prefix: string): Promise<string> {
  const name = uniqueName(prefix).replace(/-/g, '_');
  const admin = new Client({ connectionString: urls.postgres });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return urls.postgres.replace(/\/[^/]+$/, `/${name}`);
}
