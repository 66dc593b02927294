import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../src/settings';

// An @eventline import must be a dependency in the workspace's package.json and a project reference
// in its tsconfig.json: in a developer's tree the other workspaces' dist/ folders exist and hide a
// missing one, while an image build compiles from sources alone and fails on it.
const workspaces = ['packages', 'services'].flatMap((group) => readdirSync(join(repoRoot, group)).map((name) => ({ group, name, dir: join(repoRoot, group, name) })));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe.each(workspaces)('$group/$name', ({ dir }) => {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const references = [...readFileSync(join(dir, 'tsconfig.json'), 'utf8').matchAll(/"path":\s*"[^"]*\/([a-z-]+)"/g)].map((m) => m[1]);
  const imported = [
    ...new Set(sourceFiles(join(dir, 'src')).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/from '@eventline\/([a-z-]+)'/g)].map((m) => m[1]!))),
  ].sort();

  it('declares each @eventline package it imports as a dependency and a project reference', () => {
    expect(imported.filter((name) => manifest.dependencies?.[`@eventline/${name}`] === undefined)).toEqual([]);
    expect(imported.filter((name) => !references.includes(name))).toEqual([]);
  });

  it('imports no service (the floors: services on packages on infra, nothing running back up)', () => {
    const services = readdirSync(join(repoRoot, 'services'));
    expect(imported.filter((name) => services.includes(name))).toEqual([]);
  });
});
