import { spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { log, run } from './shell';

/** Of `packages`, those dpkg does not have installed. */
export function missingDebianPackages(packages: readonly string[]): string[] {
  return packages.filter((pkg) => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format field, not a template.
    const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    return result.status !== 0 || !result.stdout.includes('install ok installed');
  });
}

/**
 * apt-get only when something is missing, `apt-get update` first; `purpose` names what needs them
 * when this user cannot install. No package starts a service here (no init).
 */
export function ensureDebianPackages(packages: readonly string[], purpose: string): void {
  const missing = missingDebianPackages(packages);
  if (missing.length === 0) return;
  if (userInfo().uid !== 0) throw new Error(`Debian packages missing for ${purpose}: ${missing.join(' ')} (apt-get install them as root)`);
  log(`installing Debian packages for ${purpose}: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}
