import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function majorVersion(javaBin: string): number {
  const out = spawnSync(javaBin, ['-version'], { encoding: 'utf8' });
  const match = /version "(\d+)/.exec(`${out.stderr}${out.stdout}`);
  return match?.[1] ? Number(match[1]) : 0;
}

/** A `java` of at least `minimum`: JAVA_HOME, then `java` on the PATH, then the JDKs under /usr/lib/jvm. */
export function findJava(minimum: number): string {
  const candidates = [
    process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : undefined,
    'java',
    ...(existsSync('/usr/lib/jvm') ? readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d, 'bin', 'java')) : []),
  ].filter((c): c is string => c !== undefined && (c === 'java' || existsSync(c)));
  const found = candidates
    .map((c) => ({ bin: c, major: majorVersion(c) }))
    .filter((c) => c.major >= minimum)
    .sort((a, b) => b.major - a.major)[0];
  if (!found) throw new Error(`no Java ${minimum}+ found (looked at ${candidates.join(', ')}); set JAVA_HOME to one`);
  return found.bin;
}
