import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kubeTools, runTool } from '@eventline/testkit';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const deployable = readdirSync(join(repoRoot, 'services'))
  .filter((s) => s !== 'gateway')
  .sort();

describe('the Dockerfile', () => {
  it('passes hadolint with no finding', () => {
    const result = runTool(kubeTools().hadolint, ['--no-color', join(repoRoot, 'Dockerfile')]);
    expect(result).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('hadolint does find a root user and an unpinned base in a bad one (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-hadolint-'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM node\nUSER root\nRUN apt-get install curl\n');
    const result = runTool(kubeTools().hadolint, ['--no-color', join(dir, 'Dockerfile')]);
    rmSync(dir, { recursive: true, force: true });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('DL3006'); // untagged base image
    expect(result.stdout).toContain('DL3002'); // last USER root
  });
});

describe('skaffold.yaml', () => {
  it("passes skaffold's own schema parse, and skaffold refuses an unknown field (the check can fail)", () => {
    const skaffold = kubeTools().skaffold;
    const ok = runTool(skaffold, ['diagnose', '--yaml-only', '-f', join(repoRoot, 'skaffold.yaml')], { cwd: repoRoot });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('apiVersion: skaffold/v4beta13');

    const dir = mkdtempSync(join(tmpdir(), 'eventline-skaffold-'));
    const bad = join(dir, 'skaffold.yaml');
    writeFileSync(bad, readFileSync(join(repoRoot, 'skaffold.yaml'), 'utf8').replace('    push: false', '    push: false\n    pushh: true'));
    const refused = runTool(skaffold, ['diagnose', '--yaml-only', '-f', bad]);
    rmSync(dir, { recursive: true, force: true });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr + refused.stdout).toContain('field pushh not found');
  });

  it('builds an image of every deployable service and hands each to the chart', () => {
    const config = parse(readFileSync(join(repoRoot, 'skaffold.yaml'), 'utf8'));
    const artifacts = config.build.artifacts as { image: string; docker: { dockerfile: string; buildArgs: { SERVICE: string } } }[];
    expect(artifacts.map((a) => a.docker.buildArgs.SERVICE).sort()).toEqual(deployable);
    for (const artifact of artifacts) expect(artifact.image).toBe(`eventline-${artifact.docker.buildArgs.SERVICE}`);
    const release = config.deploy.helm.releases[0];
    expect(release).toMatchObject({ chartPath: 'charts/eventline', valuesFiles: ['charts/eventline/values-kind.yaml'] });
    for (const service of deployable) {
      expect(release.setValueTemplates[`services.${service}.image`]).toBe(`{{.IMAGE_FULLY_QUALIFIED_eventline_${service.replace(/-/g, '_')}}}`);
    }
    expect(config.portForward).toContainEqual({ resourceType: 'service', resourceName: 'traefik', namespace: 'traefik', port: 80, localPort: 8080 });
  });
});
