import { Writable } from 'node:stream';
import pino from 'pino';
import { applyHotSettings, FeatureFlags } from '../../src/hot-settings';

function setup(defaultConcurrency = [1, 2]) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const calls: number[][] = defaultConcurrency.map(() => []);
  const consumers = defaultConcurrency.map((_, i) => ({ setConcurrency: async (n: number) => void calls[i]!.push(n) }));
  const flags = new FeatureFlags();
  return { lines, logger, calls, targets: { logger, flags, consumers, defaultConcurrency } };
}

describe('applyHotSettings', () => {
  it('applies log level, flags and consumer concurrency', async () => {
    const { logger, calls, targets } = setup();
    const applied = await applyHotSettings({ LOG_LEVEL: 'debug', FEATURE_FLAGS: 'b, a,a', CONSUMER_CONCURRENCY: '4' }, targets);
    expect(applied).toEqual({ LOG_LEVEL: 'debug', FEATURE_FLAGS: ['b', 'a', 'a'], CONSUMER_CONCURRENCY: 4 });
    expect(logger.level).toBe('debug');
    expect(targets.flags.list()).toEqual(['a', 'b']);
    expect(targets.flags.isEnabled('a')).toBe(true);
    expect(calls).toEqual([[4], [4]]);
  });

  it('returns each consumer to its own default when CONSUMER_CONCURRENCY goes away', async () => {
    const { calls, targets } = setup([1, 3]);
    await applyHotSettings({ CONSUMER_CONCURRENCY: '8' }, targets);
    await applyHotSettings({}, targets);
    expect(calls).toEqual([
      [8, 1],
      [8, 3],
    ]);
    expect(targets.logger.level).toBe('info');
  });

  it('keeps everything and logs the problems when a value is invalid', async () => {
    const { lines, calls, targets } = setup();
    targets.flags.replace(['kept']);
    const applied = await applyHotSettings({ LOG_LEVEL: 'loud', CONSUMER_CONCURRENCY: '0' }, targets);
    expect(applied).toBeUndefined();
    expect(targets.logger.level).toBe('info');
    expect(targets.flags.list()).toEqual(['kept']);
    expect(calls).toEqual([[], []]);
    const error = lines.find((l) => l.msg === 'config-service sent invalid settings; keeping the current ones') as { problems: { field: string }[] };
    expect(error.problems.map((p) => p.field).sort()).toEqual(['CONSUMER_CONCURRENCY', 'LOG_LEVEL']);
  });
});
