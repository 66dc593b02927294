import { podConnections } from '../../src/socket-table';

const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const row = (local: string, remote: string, state: string) => `   0: ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 100 0 0 10 0`;

describe('podConnections', () => {
  it('reads little-endian IPv4 words and classifies by the listening ports', () => {
    const tcp = [
      header,
      // listening on 0.0.0.0:8093
      row('00000000:1F9D', '00000000:0000', '0A'),
      // accepted from 10.244.0.12:51000 on 8093
      row('0B00F40A:1F9D', '0C00F40A:C738', '01'),
      // opened to 10.96.0.10:5432
      row('0B00F40A:A410', '0A00600A:1538', '01'),
      // a closed one
      row('0B00F40A:A411', '0A00600A:1538', '06'),
    ].join('\n');
    expect(podConnections(tcp)).toEqual([
      { direction: 'incoming', local: { ip: '10.244.0.11', port: 8093 }, remote: { ip: '10.244.0.12', port: 51000 } },
      { direction: 'outgoing', local: { ip: '10.244.0.11', port: 42000 }, remote: { ip: '10.96.0.10', port: 5432 } },
    ]);
  });

  it("reads a dual-stack listener's IPv4-mapped tcp6 rows and leaves loopback and native IPv6 out", () => {
    const tcp6 = [
      header,
      row('00000000000000000000000000000000:1F9D', '00000000000000000000000000000000:0000', '0A'),
      row('0000000000000000FFFF00000B00F40A:1F9D', '0000000000000000FFFF00000C00F40A:C738', '01'),
      row('0000000000000000FFFF00000100007F:1F9D', '0000000000000000FFFF00000100007F:C739', '01'),
      row('B80D0120000000000000000001000000:1F9D', 'B80D0120000000000000000002000000:C73A', '01'),
    ].join('\n');
    const tcp = [header, row('0B00F40A:A410', '0100007F:1F9D', '01')].join('\n');
    expect(podConnections(tcp, tcp6)).toEqual([{ direction: 'incoming', local: { ip: '10.244.0.11', port: 8093 }, remote: { ip: '10.244.0.12', port: 51000 } }]);
  });
});
