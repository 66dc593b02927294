import { readFileSync } from 'node:fs';
import { typesFromCrd } from '@eventline/operator-kit';
import { crdTypesFile, crdTypesPath } from '../../scripts/crd-types-file';

describe("the operator's resource types, generated from the chart's CRDs", () => {
  it('are what the CRDs say now (after a CRD change: npm run generate:crd-types)', () => {
    expect(readFileSync(crdTypesPath, 'utf8')).toBe(crdTypesFile());
  });

  it('say required, optional, enums, arrays of objects and descriptions as TypeScript', () => {
    const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  names: { kind: Widget }
  versions:
    - name: v1
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: { type: integer, description: How big. }
                colour: { type: string, enum: [red, blue] }
                parts: { type: array, items: { type: object, required: [id], properties: { id: { type: string } } } }
                tags: { type: array, items: { type: string, enum: [a, b] } }
`;
    expect(typesFromCrd(crd)).toBe(
      [
        'export interface WidgetSpec {',
        '  /** How big. */',
        '  size: number;',
        "  colour?: 'red' | 'blue';",
        '  parts?: {',
        '    id: string;',
        '  }[];',
        "  tags?: ('a' | 'b')[];",
        '}',
        '',
      ].join('\n'),
    );
  });
});
