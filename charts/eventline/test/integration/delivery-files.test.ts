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
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

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

  it('is multi-stage, installs production dependencies only, runs as a non-root uid, and has no HEALTHCHECK', () => {
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(3);
    // The stages that run `npm ci` copy manifests (package.json files, the lock file, patches) and
    // the image scripts, never sources: a source edit leaves their layers cached.
    const stages = dockerfile.split(/^FROM /m).slice(1);
    const installing = stages.filter((stage) => /npm ci|production-dependencies\.sh/.test(stage));
    expect(installing.length).toBeGreaterThanOrEqual(2);
    for (const stage of installing) {
      const copied = [...stage.matchAll(/^COPY (?:--from=(\S+) )?(.+?) \S+$/gm)].map(([, from, source]) => (from ? `${from}:${source}` : source!));
      for (const source of copied) expect(source).toMatch(/^(package\.json package-lock\.json|patches\/|infra\/package\.json|manifests:\/manifests\/|scripts\/image\/)$/);
    }
    expect(dockerfile).toMatch(/^RUN sh scripts\/image\/production-dependencies.sh "\$\{SERVICE\}"/m);
    expect(readFileSync(join(repoRoot, 'scripts', 'image', 'production-dependencies.sh'), 'utf8')).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
    expect(dockerfile).toMatch(/^CMD \["node", "main.js"\]$/m);
  });

  it('gets a build context without dependencies, builds, tests or VCS data', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const pattern of ['**/node_modules', '**/dist', '**/test', '.git']) expect(ignored).toContain(pattern);
    // scripts/ stays out, but for the image scripts the Dockerfile runs.
    expect(ignored.indexOf('!scripts/image')).toBeGreaterThan(ignored.indexOf('scripts/*'));
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

  it('builds every artifact on the local Node base and the host network in the local profile (no image can be pulled there)', () => {
    const config = parse(readFileSync(join(repoRoot, 'skaffold.yaml'), 'utf8'));
    const patches = (config.profiles as { name: string; patches: { op: string; path: string; value: unknown }[] }[]).find((p) => p.name === 'local')!.patches;
    config.build.artifacts.forEach((_: unknown, index: number) => {
      expect(patches).toContainEqual({
        op: 'add',
        path: `/build/artifacts/${index}/docker/buildArgs/NODE_IMAGE`,
        value: expect.stringMatching(/^127\.0\.0\.1:5000\/eventline-local\/node:/),
      });
      expect(patches).toContainEqual({ op: 'add', path: `/build/artifacts/${index}/docker/network`, value: 'host' });
    });
  });
});

describe('k8s/kind-cluster.yaml', () => {
  it('is a kind v1alpha4 cluster whose node runs the ingress on the host ports 80 and 443', () => {
    const cluster = parse(readFileSync(join(repoRoot, 'k8s', 'kind-cluster.yaml'), 'utf8'));
    expect(cluster).toMatchObject({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4', name: 'eventline' });
    const node = cluster.nodes[0];
    expect(node.role).toBe('control-plane');
    expect(node.kubeadmConfigPatches[0]).toContain('node-labels: "ingress-ready=true"');
    expect(node.extraPortMappings).toEqual([
      { containerPort: 80, hostPort: 80, protocol: 'TCP' },
      { containerPort: 443, hostPort: 443, protocol: 'TCP' },
    ]);
  });
});
