import { loadCatalog, type Catalog } from './catalog';
import { registryUrlFromEnv } from './registry-api';
import { checkAll, formatReport, registerAll } from './register';

const usage = `usage: schemas register|check [--registry URL]

  check     compare every (topic, record) subject of schemas/ with the registry; registers nothing
  register  check everything first; when all pass, set each subject's compatibility level and register
            (all or nothing: one incompatible subject and nothing is registered)

  --registry URL   default: $SCHEMA_REGISTRY_URL, else http://127.0.0.1:8085/apis/ccompat/v7
  schemas/ is found above this file, or given by $SCHEMAS_DIR.
  Exit status: 0 all compatible/registered, 1 incompatible or refused, 2 usage or catalog error,
  3 the registry could not be reached or failed (worth retrying: the chart's hook Job retries only this).`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let registryUrl = registryUrlFromEnv();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--registry' && rest[i + 1]) registryUrl = rest[++i]!;
    else if (arg.startsWith('--registry=')) registryUrl = arg.slice('--registry='.length);
    else return fail(`unknown argument "${arg}"`);
  }
  if (command !== 'register' && command !== 'check') return fail(command ? `unknown command "${command}"` : 'no command');

  let catalog: Catalog;
  try {
    catalog = loadCatalog();
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const report = command === 'register' ? await registerAll(catalog, registryUrl) : await checkAll(catalog, registryUrl);
  const lines = formatReport(report);
  (report.ok ? console.log : console.error)(lines.join('\n'));
  return report.ok ? 0 : 1;
}

function fail(problem: string): number {
  console.error(`${problem}\n\n${usage}`);
  return 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`registry unreachable or failing: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 3;
    },
  );
}
