describe('infra settings', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    jest.resetModules();
  });

  it('takes ports from the environment', () => {
    process.env.KAFKA_PORT = '19092';
    process.env.PG_PORT = '15433';
    const { ports, urls } = require('../../src/settings') as typeof import('../../src/settings');
    expect(ports.kafka).toBe(19092);
    expect(urls.kafka).toBe('127.0.0.1:19092');
    expect(urls.postgres).toBe('postgres://eventline:eventline@127.0.0.1:15433/eventline');
  });

  it('refuses a port that is not one, naming the variable', () => {
    process.env.REGISTRY_PORT = 'eighty';
    expect(() => require('../../src/settings')).toThrow('REGISTRY_PORT must be a TCP port number, got "eighty"');
  });

  it('points the Mongo URL at EVENTLINE_MONGO_URL when set, else at FerretDB on MONGO_PORT', () => {
    process.env.MONGO_PORT = '27117';
    let { urls, externalMongoUrl } = require('../../src/settings') as typeof import('../../src/settings');
    expect(urls.mongo).toBe('mongodb://127.0.0.1:27117');
    expect(externalMongoUrl).toBeUndefined();
    jest.resetModules();
    process.env.EVENTLINE_MONGO_URL = 'mongodb://user:pw@mongo.example:27017/?tls=true';
    ({ urls, externalMongoUrl } = require('../../src/settings') as typeof import('../../src/settings'));
    expect(urls.mongo).toBe('mongodb://user:pw@mongo.example:27017/?tls=true');
    expect(externalMongoUrl).toBe(urls.mongo);
  });

  it('finds the vendored sources beside the repository unless EVENTLINE_VENDOR_DIR says', () => {
    const { vendorDir, repoRoot } = require('../../src/settings') as typeof import('../../src/settings');
    expect(vendorDir).toBe(require('node:path').resolve(repoRoot, '..', 'shared', 'vendor'));
    jest.resetModules();
    process.env.EVENTLINE_VENDOR_DIR = '/opt/vendor';
    expect((require('../../src/settings') as typeof import('../../src/settings')).vendorDir).toBe('/opt/vendor');
  });
});
