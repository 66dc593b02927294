import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delaypoint } from '@eventline/observability';

describe('delaypoint armed from a file (EVENTLINE_DELAYS_FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'delaypoint-'));
  const file = join(dir, 'delays');
  const printed: string[] = [];
  let write: jest.SpyInstance;

  beforeEach(() => {
    process.env.EVENTLINE_DELAYS_FILE = file;
    printed.length = 0;
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    write.mockRestore();
    delete process.env.EVENTLINE_DELAYS_FILE;
    rmSync(file, { force: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pauses at a point the file names, announcing when it starts and ends, and nowhere else', async () => {
    writeFileSync(file, 'test.armed=30\n');
    const started = Date.now();
    await delaypoint('test.armed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    await delaypoint('test.other');
    expect(printed.map((line) => JSON.parse(line).msg)).toEqual(['delay point test.armed reached', 'delay point test.armed passed']);
  });

  it('arms nothing once the file is emptied or gone, read again at every pass', async () => {
    writeFileSync(file, '');
    await delaypoint('test.armed');
    rmSync(file);
    await delaypoint('test.armed');
    expect(printed).toEqual([]);
    writeFileSync(file, 'test.armed=1');
    await delaypoint('test.armed');
    expect(printed).toHaveLength(2);
  });
});
