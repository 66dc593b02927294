import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { typesFromCrd } from '@eventline/operator-kit';

const crdDirectory = join(__dirname, '..', '..', '..', 'charts', 'eventline', 'crds');

/** Where the operator's generated resource types live. */
export const crdTypesPath = join(__dirname, '..', 'src', 'generated', 'crd-types.ts');

/** The generated file's text: Replay's and Redrive's spec and status, from the chart's CRDs, the one source. */
export function crdTypesFile(): string {
  const header = [
    '// Generated from charts/eventline/crds by `npm run generate:crd-types`; do not edit.',
    '// A unit test (services/operator/test/unit/crd-types.test.ts) fails when this file and the CRDs differ.',
    '',
  ].join('\n');
  const types = ['replays.eventline.dev.yaml', 'redrives.eventline.dev.yaml'].map((file) => typesFromCrd(readFileSync(join(crdDirectory, file), 'utf8')));
  return `${header}\n${types.join('\n')}`;
}
