import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectNodeVersion, projectNpmVersion } from '../../src/node-version';
import { clusterVersions } from '../../src/cluster/settings';
import { repoRoot } from '../../src/settings';

// .nvmrc and packageManager are the one statement of the Node and npm versions; the files that
// cannot read them (a Dockerfile's ARG default, skaffold's patches) are held to them here.
describe('the project Node version', () => {
  const node = projectNodeVersion();

  it('is an exact version of a supported LTS line and the engines range admits it', () => {
    expect(node).toMatch(/^(24|26)\.\d+\.\d+$/);
    const engines = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const [major] = node.split('.');
    expect(engines).toBe(`>=${node} <${Number(major) + 1}`);
    expect(projectNpmVersion()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('is what the cluster’s Node base carries', () => {
    expect(clusterVersions.node).toBe(node);
    expect(clusterVersions.npm).toBe(projectNpmVersion());
  });

  it('is the Dockerfile’s default base image', () => {
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
    expect(/^ARG NODE_IMAGE=(.+)$/m.exec(dockerfile)?.[1]).toBe(`node:${node}-bookworm-slim`);
  });

  it('is the Node base of every artifact in skaffold’s local profile', () => {
    const config = parse(readFileSync(join(repoRoot, 'skaffold.yaml'), 'utf8')) as { profiles: { name: string; patches: { path: string; value: unknown }[] }[] };
    const bases = config.profiles.flatMap((profile) => profile.patches).filter((patch) => patch.path.endsWith('/buildArgs/NODE_IMAGE'));
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base.value).toBe(`127.0.0.1:5000/eventline-local/node:${node}`);
  });

  it('refuses a .nvmrc that is not an exact version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nvmrc-'));
    writeFileSync(join(dir, '.nvmrc'), 'lts/*\n');
    expect(() => projectNodeVersion(dir)).toThrow(/exact version/);
  });
});
