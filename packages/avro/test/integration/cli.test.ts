import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, urls } from '@eventline/testkit';
import { subjectName } from '../../src';
import { subjectVersions } from '../../src/registry-api';
import { paymentV1, paymentV2WithDefault, paymentV2WithoutDefault, topicsJson, type AvscRecord } from '../fixtures';

const cli = join(__dirname, '..', '..', 'src', 'cli.ts');

describe('the schemas command as a child process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventline-schemas-'));
  const topic = uniqueName('payments');
  const subject = subjectName(topic, 'dev.eventline.test.Payment');

  function writeSchemas(payment: AvscRecord): void {
    mkdirSync(join(dir, 'test'), { recursive: true });
    writeFileSync(join(dir, 'test', 'Payment.avsc'), JSON.stringify(payment, null, 2));
    writeFileSync(join(dir, 'topics.json'), topicsJson(topic, [payment]));
  }

  function run(command: string, registry = urls.registry, env: NodeJS.ProcessEnv = {}) {
    const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), cli, command, '--registry', registry], {
      env: { ...process.env, SCHEMAS_DIR: dir, ...env },
      encoding: 'utf8',
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('registers a compatible set and exits 0, printing version and id', () => {
    writeSchemas(paymentV1);
    const result = run('register');
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^${subject.replace(/\./g, '\\.')}: version 1, id \\d+ \\(registered, BACKWARD\\)\\n$`));
  });

  it('exits non-zero naming the field for an incompatible change, and registers nothing', async () => {
    writeSchemas(paymentV2WithoutDefault);
    for (const command of ['check', 'register']) {
      const result = run(command);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`${subject}: incompatible with version 1: field "currency": added without a default, so records written before it cannot be read`);
    }
    expect((await subjectVersions(urls.registry, subject)).map((v) => v.version)).toEqual([1]);
  });

  it('check then register a compatible change: exit 0, version 2', () => {
    writeSchemas(paymentV2WithDefault);
    const check = run('check');
    expect(check).toMatchObject({ status: 0, stdout: `${subject}: compatible with version 1 (BACKWARD)\n` });
    const register = run('register');
    expect(register.status).toBe(0);
    expect(register.stdout).toMatch(/: version 2, id \d+ \(registered, BACKWARD\)\n$/);
  });

  it('exits 3 when the registry cannot be reached (the hook Job retries only that)', () => {
    writeSchemas(paymentV1);
    const result = run('register', 'http://127.0.0.1:1/apis/ccompat/v7');
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('registry unreachable or failing: fetch failed');
  });

  it('exits 3 when the registry takes the connection and never answers, instead of hanging', async () => {
    writeSchemas(paymentV1);
    // The kernel accepts the connections (spawnSync blocks this process); nothing ever answers them.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const result = run('check', `http://127.0.0.1:${port}/apis/ccompat/v7`, { SCHEMA_REGISTRY_TIMEOUT_MS: '500' });
      expect(result.status).toBe(3);
      expect(result.stderr).toMatch(new RegExp(`registry unreachable or failing: (GET|POST) http://127\\.0\\.0\\.1:${port}/apis/ccompat/v7/subjects/`));
      expect(result.stderr).toContain('no answer within 500 ms');
    } finally {
      silent.close();
    }
  });

  it('exits 2 with the catalog problem for an invalid catalog', () => {
    writeFileSync(join(dir, 'topics.json'), JSON.stringify({ topics: [{ name: topic, partitions: 1, compacted: false, records: ['dev.eventline.test.Nope'] }] }));
    const result = run('check');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`topics.json: topic "${topic}": unknown record dev.eventline.test.Nope`);
  });
});
