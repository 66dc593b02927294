import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { crdTypesFile, crdTypesPath } from './crd-types-file';

mkdirSync(dirname(crdTypesPath), { recursive: true });
writeFileSync(crdTypesPath, crdTypesFile());
console.log(`wrote ${crdTypesPath}`);
