import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { deployableServices, servicePorts } from '../../../../infra/src/service-table';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const yamlFile = (...path: string[]) => parse(readFileSync(join(repoRoot, ...path), 'utf8'));

describe("files/routes.json's service table: every service's name and port, written once", () => {
  const deployable = deployableServices().sort();

  it('names every service under services/ but the local gateway (Traefik is the gateway on the cluster)', () => {
    const directories = readdirSync(join(repoRoot, 'services')).filter((name) => name !== 'gateway');
    expect(deployable).toEqual(directories.sort());
  });

  it('gives each its own port', () => {
    const ports = [...servicePorts().values()];
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('is what the chart configures (values.yaml has an entry per service, and no port) and what skaffold builds', () => {
    const values = yamlFile('charts', 'eventline', 'values.yaml') as { services: Record<string, { port?: number }> };
    expect(Object.keys(values.services).sort()).toEqual(deployable);
    expect(Object.values(values.services).filter((service) => service.port !== undefined)).toEqual([]);
    const skaffold = yamlFile('skaffold.yaml') as { build: { artifacts: { docker: { buildArgs: { SERVICE: string } } }[] } };
    expect(skaffold.build.artifacts.map((artifact) => artifact.docker.buildArgs.SERVICE).sort()).toEqual(deployable);
  });
});
