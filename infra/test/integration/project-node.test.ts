import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectNodeVersion, projectNpmVersion } from '../../src/node-version';
import { repoRoot } from '../../src/settings';

// What `npm run …` and the two commands do on a machine whose own Node is older: scripts/node.sh
// puts the project's Node (.nvmrc) and npm (packageManager) first on PATH, installed on first use.
describe('scripts/with-node.sh on a machine whose PATH has only the system Node', () => {
  const systemPath = '/usr/local/bin:/usr/bin:/bin';
  const withNode = (...command: string[]) =>
    spawnSync('bash', [join(repoRoot, 'scripts', 'with-node.sh'), ...command], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, PATH: systemPath },
    });

  it('runs node, npm and the workspace tools on the project’s versions', () => {
    const node = withNode('node', '-p', 'process.version');
    expect(node.status).toBe(0);
    expect(node.stdout.trim()).toBe(`v${projectNodeVersion()}`);
    const npm = withNode('npm', '--version');
    expect(npm.stdout.trim()).toBe(projectNpmVersion());
    // A tool of node_modules/.bin (its `#!/usr/bin/env node` line) lands on the same Node.
    const tsx = withNode(join(repoRoot, 'node_modules', '.bin', 'tsx'), '-e', 'console.log(process.version)');
    expect(tsx.status).toBe(0);
    expect(tsx.stdout.trim()).toBe(`v${projectNodeVersion()}`);
  });

  it('passes the command’s exit status through', () => {
    expect(withNode('node', '-e', 'process.exit(7)').status).toBe(7);
  });
});
