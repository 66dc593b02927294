import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IssuedCertificate {
  /** PEM certificate, signed by the authority. */
  cert: string;
  /** PEM private key (P-256). */
  key: string;
}

export interface TestAuthority {
  /** The authority's PEM certificate: what a client trusts. */
  ca: string;
  /** A server certificate for `dnsNames` (the first is also its common name). */
  issue(dnsNames: string[]): IssuedCertificate;
  dispose(): void;
}

function openssl(args: string[], cwd: string): void {
  const run = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${run.stderr}`);
}

/**
 * A private certificate authority made with Debian's openssl for one test run: the "managed" servers'
 * CA of a staging install (a managed PostgreSQL's, the Gateway's certificate issuer), which no public
 * bundle holds, so that what trusts it had to be given it.
 */
export function createTestAuthority(name: string): TestAuthority {
  const dir = mkdtempSync(join(tmpdir(), 'eventline-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${name}`], dir);
  let serial = 0;
  return {
    ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    issue(dnsNames) {
      serial += 1;
      const base = `leaf-${serial}`;
      writeFileSync(join(dir, `${base}.ext`), `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
      openssl(['req', ...ec, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${dnsNames[0]}`], dir);
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${base}.csr`,
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-set_serial',
          String(serial + 1000),
          '-days',
          '2',
          '-out',
          `${base}.crt`,
          '-extfile',
          `${base}.ext`,
        ],
        dir,
      );
      return { cert: readFileSync(join(dir, `${base}.crt`), 'utf8'), key: readFileSync(join(dir, `${base}.key`), 'utf8') };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
