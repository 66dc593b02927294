import { formatTable } from '../../src/infra';

describe('infra status table', () => {
  it('aligns every column to its widest cell', () => {
    const table = formatTable([
      { name: 'kafka', version: 'Apache Kafka 4.3.1 (KRaft)', address: '127.0.0.1:9092', pid: '42', health: 'healthy' },
      { name: 'postgres', version: 'PostgreSQL 15', address: 'postgres://127.0.0.1:5433/eventline', pid: '-', health: 'stopped' },
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^server\s+version\s+address\s+pid\s+health$/);
    const healthColumn = lines[0]!.indexOf('health');
    expect(lines[2]!.indexOf('healthy')).toBe(healthColumn);
    expect(lines[3]!.indexOf('stopped')).toBe(healthColumn);
    expect(lines[1]).toMatch(/^-+ {2}-+ {2}-+ {2}-+ {2}-+$/);
  });
});
