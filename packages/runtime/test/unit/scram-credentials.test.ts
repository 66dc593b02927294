import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scramCredentials } from '../../src/kafka-client';

describe('SCRAM credentials', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scram-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the password file at every authentication, so a rotated password is followed without a restart', () => {
    const file = join(dir, 'password');
    writeFileSync(file, 'first');
    const credentials = scramCredentials('user-service', 'from-the-environment', file);
    expect(credentials).toMatchObject({ mechanism: 'scram-sha-512', username: 'user-service', password: 'first' });
    writeFileSync(file, 'rotated');
    expect(credentials.password).toBe('rotated');
  });

  it('uses the password it was given when no file is set', () => {
    expect(scramCredentials('user-service', 'from-the-environment').password).toBe('from-the-environment');
  });
});
