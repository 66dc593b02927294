/**
 * A network namespace's TCP sockets from Linux's /proc/net/tcp and /proc/net/tcp6 (as any process in
 * the pod reads them): which ports it listens on and which connections it has open, each as opened
 * by the pod (outgoing) or accepted from a peer (incoming). IPv4 only: an IPv4-mapped tcp6 address
 * (a dual-stack listener's accepted connection) is read as its IPv4 address; other IPv6 is left out.
 */

export interface SocketAddress {
  ip: string;
  port: number;
}

export interface PodConnection {
  direction: 'outgoing' | 'incoming';
  local: SocketAddress;
  remote: SocketAddress;
}

const ESTABLISHED = '01';
const LISTEN = '0A';

/** A 32-bit word of /proc/net/tcp: the address's bytes in the kernel's (little-endian) order. */
function ipv4FromWord(hex: string): string {
  const bytes = hex.match(/../g)!.map((b) => Number.parseInt(b, 16));
  return bytes.reverse().join('.');
}

function parseAddress(field: string): SocketAddress | undefined {
  const [hexIp, hexPort] = field.split(':');
  if (!hexIp || !hexPort) return undefined;
  const port = Number.parseInt(hexPort, 16);
  if (hexIp.length === 8) return { ip: ipv4FromWord(hexIp), port };
  if (hexIp.length === 32) {
    if (hexIp.slice(0, 16) === '0000000000000000' && hexIp.slice(16, 24).toUpperCase() === 'FFFF0000') return { ip: ipv4FromWord(hexIp.slice(24)), port };
    if (/^0+$/.test(hexIp)) return { ip: '0.0.0.0', port };
  }
  return undefined;
}

/** The sockets of one or more /proc/net/tcp{,6} texts: established connections, classified, loopback left out. */
export function podConnections(...tables: string[]): PodConnection[] {
  const rows = tables.flatMap((t) =>
    t
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields.length > 3),
  );
  const listening = new Set(rows.filter((f) => f[3] === LISTEN).map((f) => parseAddress(f[1]!)?.port));
  const connections: PodConnection[] = [];
  for (const fields of rows) {
    if (fields[3] !== ESTABLISHED) continue;
    const local = parseAddress(fields[1]!);
    const remote = parseAddress(fields[2]!);
    if (!local || !remote || remote.ip.startsWith('127.')) continue;
    connections.push({ direction: listening.has(local.port) ? 'incoming' : 'outgoing', local, remote });
  }
  return connections;
}
