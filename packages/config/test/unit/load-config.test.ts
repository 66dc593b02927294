import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, bool, int, list, loadConfig, loadConfigOrExit, logLevel, port, str, url } from '@eventline/config';

const fixture = (name: string) => join(__dirname, '..', 'fixtures', name);

const shape = z.object({
  PORT: port(8080),
  DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }),
  KAFKA_BROKERS: list(),
  LOG_LEVEL: logLevel(),
  OUTBOX_ENABLED: bool(true),
  POOL_SIZE: int({ min: 1, max: 100, default: 10 }),
  SERVICE_NAME: str({ default: 'orders' }),
});

const validEnv = {
  DATABASE_URL: 'postgres://eventline:eventline@127.0.0.1:5433/eventline',
  KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.2:9092',
};

function configErrorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig from the environment', () => {
  it('parses valid values into typed settings and fills defaults', () => {
    const config = loadConfig(shape, {
      env: { ...validEnv, PORT: '3000', LOG_LEVEL: 'warn', OUTBOX_ENABLED: 'false', POOL_SIZE: '25' },
    });

    expect(config).toEqual({
      PORT: 3000,
      DATABASE_URL: validEnv.DATABASE_URL,
      KAFKA_BROKERS: ['127.0.0.1:9092', '127.0.0.2:9092'],
      LOG_LEVEL: 'warn',
      OUTBOX_ENABLED: false,
      POOL_SIZE: 25,
      SERVICE_NAME: 'orders',
    });
  });

  it('uses the defaults for unset and empty variables', () => {
    const config = loadConfig(shape, { env: { ...validEnv, PORT: '', OUTBOX_ENABLED: undefined } });

    expect(config.PORT).toBe(8080);
    expect(config.OUTBOX_ENABLED).toBe(true);
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('names every bad setting and why in one message', () => {
    const error = configErrorOf(() =>
      loadConfig(shape, {
        env: { PORT: 'abc', KAFKA_BROKERS: ' , ', LOG_LEVEL: 'loud', OUTBOX_ENABLED: 'yes', POOL_SIZE: '12.5' },
      }),
    );

    expect(error.message).toBe(
      'invalid configuration: ' +
        [
          'PORT must be an integer between 1 and 65535 (got "abc")',
          'DATABASE_URL is required',
          'KAFKA_BROKERS must be a comma-separated list of at least 1 item (got " , ")',
          'LOG_LEVEL must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent" (got "loud")',
          'OUTBOX_ENABLED must be "true" or "false" (got "yes")',
          'POOL_SIZE must be an integer between 1 and 100 (got "12.5")',
        ].join('; '),
    );
    expect(error.problems).toHaveLength(6);
  });

  it('rejects numbers in forms other than plain decimal', () => {
    for (const written of ['1e3', '0x10', '80 80', '99999999999999999999']) {
      const error = configErrorOf(() => loadConfig(shape, { env: { ...validEnv, PORT: written } }));
      expect(error.problems).toEqual([`PORT must be an integer between 1 and 65535 (got "${written}")`]);
    }
  });

  it('rejects a URL with another scheme without printing its password', () => {
    const error = configErrorOf(() => loadConfig(shape, { env: { ...validEnv, DATABASE_URL: 'mysql://app:s3cret@db:3306/app' } }));

    expect(error.message).toContain('DATABASE_URL must be a URL with scheme postgres or postgresql');
    expect(error.message).not.toContain('s3cret');
  });

  it('reports zod schemas written by hand with their own message', () => {
    const error = configErrorOf(() => loadConfig(z.object({ REGION: z.enum(['eu', 'us']) }), { env: { REGION: 'mars' } }));

    expect(error.problems).toEqual([expect.stringMatching(/^REGION is invalid: .+ \(got "mars"\)$/)]);
  });
});

describe('loadConfig with a config file', () => {
  it('reads settings from the file, with the environment taking precedence', () => {
    const config = loadConfig(shape, {
      file: fixture('service.json'),
      env: { LOG_LEVEL: 'error', KAFKA_BROKERS: 'env-broker:9092' },
    });

    expect(config.PORT).toBe(7000);
    expect(config.DATABASE_URL).toBe('postgres://eventline@file-host:5432/eventline');
    expect(config.LOG_LEVEL).toBe('error');
    expect(config.KAFKA_BROKERS).toEqual(['env-broker:9092']);
  });

  it('finds the file through CONFIG_FILE', () => {
    const config = loadConfig(shape, { env: { CONFIG_FILE: fixture('service.json') } });

    expect(config.PORT).toBe(7000);
  });

  it('names a file that cannot be read', () => {
    const missing = fixture('missing.json');
    const error = configErrorOf(() => loadConfig(shape, { file: missing, env: validEnv }));

    expect(error.message).toBe(`invalid configuration: config file ${missing} cannot be read (ENOENT)`);
  });

  it('names a file that is not valid JSON', () => {
    const error = configErrorOf(() => loadConfig(shape, { file: fixture('malformed.json'), env: validEnv }));

    expect(error.message).toMatch(/^invalid configuration: config file .*malformed\.json is not valid JSON \(/);
  });

  it('names a file that holds something other than an object', () => {
    const error = configErrorOf(() => loadConfig(shape, { file: fixture('array.json'), env: validEnv }));

    expect(error.message).toMatch(/config file .*array\.json must hold a JSON object$/);
  });

  it('names unknown settings in the file, which are usually typos', () => {
    const error = configErrorOf(() => loadConfig(shape, { file: fixture('typo.json'), env: validEnv }));

    expect(error.problems).toEqual([`PROT in ${fixture('typo.json')} is not a known setting`]);
  });
});

describe('loadConfigOrExit', () => {
  afterEach(() => jest.restoreAllMocks());

  it('prints the reasons to stderr and exits with EX_CONFIG (78)', () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      throw new Error(`exit ${code}`);
    }) as typeof process.exit);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);

    expect(() => loadConfigOrExit(shape, { env: { PORT: '0' } })).toThrow('exit 78');
    expect(exit).toHaveBeenCalledWith(78);
    expect(stderr).toHaveBeenCalledWith('invalid configuration: PORT must be an integer between 1 and 65535 (got "0"); ' + 'DATABASE_URL is required; KAFKA_BROKERS is required\n');
  });

  it('returns the configuration when it is valid', () => {
    expect(loadConfigOrExit(shape, { env: validEnv }).KAFKA_BROKERS).toEqual(['127.0.0.1:9092', '127.0.0.2:9092']);
  });
});
