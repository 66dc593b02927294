import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..', '..');
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const workspaces = ['packages', 'services'].flatMap((floor) =>
  readdirSync(join(repoRoot, floor))
    .filter((name) => existsSync(join(repoRoot, floor, name, 'package.json')))
    .map((name) => `${floor}/${name}`),
);

describe('the Dockerfile', () => {
  it("copies every workspace's package.json into the manifests stage, and nothing else of the workspaces there", () => {
    const manifestsStage = dockerfile.slice(dockerfile.indexOf(' AS manifests'), dockerfile.indexOf(' AS dependencies'));
    const copied = [...manifestsStage.matchAll(/^COPY (\S+)\/package\.json \/manifests\/(\S+)\/$/gm)].map(([, from, to]) => {
      expect(to).toBe(from);
      return from;
    });
    expect(copied.sort()).toEqual(workspaces.sort());
    expect(manifestsStage.match(/^COPY /gm)).toHaveLength(workspaces.length);
  });

  it("gives a service's build the sources of that service alone", () => {
    const copies = [...dockerfile.matchAll(/^COPY (?!--from)(\S+) /gm)].map(([, source]) => source!);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own build argument.
    expect(copies.filter((source) => source.startsWith('services/') && !source.endsWith('/package.json'))).toEqual(['services/${SERVICE}/']);
  });
});
