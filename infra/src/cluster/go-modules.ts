import { tmpdir } from 'node:os';
import { run } from '../shell';

/**
 * A Go module's folder in the module cache (GOMODCACHE), downloaded from the Go proxy on first use.
 * Read-only there: copy it before building inside it.
 */
export function goModuleDir(module: string, version: string): string {
  // Outside any go.mod, so that no main module's requirements get in the way.
  const info = JSON.parse(run('go', ['mod', 'download', '-json', `${module}@${version}`], { cwd: tmpdir() })) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? 'no folder reported'}`);
  return info.Dir;
}
