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
});
