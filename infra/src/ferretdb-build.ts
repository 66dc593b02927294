import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildCommand, log, run } from './shell';
import { ensureDebianPackages, missingDebianPackages } from './debian';
import { cacheDir, versions } from './settings';
import { buildStep, extractIntoStep, timedBuildStep, vendoredArchiveSha, type BuildStep } from './vendored-archives';

/**
 * FerretDB 2 and the PostgreSQL extensions under it (DocumentDB, and what DocumentDB needs that
 * Debian 12 lacks or has too old), built once from the archives in the vendored folder
 * (`../shared/vendor`, see its README) into `~/.cache/eventline/ferretdb/`. Every cached folder is
 * named after the sha256 of the archive it came from (checked against the folder's SHA256SUMS), so
 * a new archive rebuilds and an unchanged one never does.
 *
 * The extensions are installed with DESTDIR into a staged tree in the cache and copied from there
 * into Debian's PostgreSQL 15 (`pg_config --pkglibdir`, `--sharedir`) whenever a file is missing or
 * differs there: a warm cache on a machine whose /usr was reset only copies.
 */
const buildRoot = join(cacheDir, 'ferretdb');
const pgMajor = '15';
const pgConfig = `/usr/lib/postgresql/${pgMajor}/bin/pg_config`;
const parallel = '-j2';

/** What DocumentDB builds and runs against (the vendored README's list), plus the compilers. */
const debianPackages = [
  `postgresql-${pgMajor}`,
  `postgresql-server-dev-${pgMajor}`,
  `postgresql-${pgMajor}-postgis-3`,
  `postgresql-${pgMajor}-rum`,
  'postgresql-contrib',
  'libpcre2-dev',
  'libintelrdfpmath-dev',
  'libicu-dev',
  'cmake',
  'pkg-config',
  'make',
  'gcc',
  // PostgreSQL's libpq-be.h includes <gssapi/gssapi.h>, which pg_documentdb's users.c pulls in;
  // postgresql-server-dev-15 does not depend on it (not in the vendored README's list).
  'libkrb5-dev',
];

const archives = {
  libbson: `mongo-c-driver-${versions.libbson}.tar.gz`,
  pgvector: `pgvector-${versions.pgvector}.tar.gz`,
  pgCron: `pg_cron-${versions.pgCron}.tar.gz`,
  documentdb: `documentdb-${versions.documentdb}-ferretdb-${versions.ferretdb}.tar.gz`,
  ferretdb: `ferretdb-${versions.ferretdb}.tar.gz`,
} as const;
type ArchiveName = keyof typeof archives;

const archiveSha = (name: ArchiveName): string => vendoredArchiveSha(archives[name]);
type Step = BuildStep;
const step = (name: string, version: string, key: string): Step => buildStep(buildRoot, name, version, key);
const extract = (s: Step, archive: ArchiveName): string => extractIntoStep(s, archives[archive]);
const timed = async (s: Step, what: string, body: () => Promise<void>): Promise<void> => {
  await timedBuildStep(s, what, body);
};

/** The Intel decimal library ships a static archive and no pkg-config file; DocumentDB's Makefile asks pkg-config. */
function writeIntelMathPc(dir: string): void {
  const archive = run('dpkg', ['-L', 'libintelrdfpmath-dev'])
    .split('\n')
    .find((f) => f.endsWith('/libbidgcc000.a'));
  if (!archive) throw new Error('libintelrdfpmath-dev has no libbidgcc000.a');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'intelmathlib.pc'),
    [
      'Name: intelmathlib',
      'Description: Intel(R) Decimal Floating-Point Math Library',
      'Version: 2.0u2',
      'Cflags: -I/usr/include',
      `Libs: -L${dirname(archive)} -l:libbidgcc000.a`,
      '',
    ].join('\n'),
  );
}

/** libbson 1.28, static and position-independent, for linking into DocumentDB's shared objects. */
async function buildLibbson(s: Step): Promise<void> {
  await timed(s, `libbson ${versions.libbson} (static)`, async () => {
    const src = extract(s, 'libbson');
    const cmake = (args: string[]) => buildCommand('libbson', s.logPath, 'cmake', args, { cwd: src });
    await cmake([
      '-S',
      '.',
      '-B',
      'cmake-build',
      '-DENABLE_MONGOC=OFF',
      '-DENABLE_STATIC=ON',
      '-DENABLE_SHARED=OFF',
      '-DENABLE_PIC=ON',
      '-DENABLE_TESTS=OFF',
      '-DENABLE_EXAMPLES=OFF',
      '-DENABLE_UNINSTALL=OFF',
      '-DENABLE_ICU=OFF',
      '-DCMAKE_C_FLAGS=-fPIC',
      '-DCMAKE_BUILD_TYPE=Release',
      `-DCMAKE_INSTALL_PREFIX=${join(s.dir, 'prefix')}`,
      '-DCMAKE_INSTALL_LIBDIR=lib',
    ]);
    await cmake(['--build', 'cmake-build', '--parallel', '2', '--target', 'install']);
  });
}

/** A PGXS extension built against Debian's PostgreSQL and installed into `<step>/stage` (DESTDIR). */
async function buildPgxs(s: Step, archive: ArchiveName, what: string, env: NodeJS.ProcessEnv = process.env, subdirs: string[] = ['.']): Promise<void> {
  await timed(s, what, async () => {
    const src = extract(s, archive);
    // with_llvm=no: Debian's server is built with LLVM, whose bitcode pass wants clang; JIT inlining is not needed here.
    const common = [`PG_CONFIG=${pgConfig}`, 'with_llvm=no'];
    for (const sub of subdirs) {
      await buildCommand(s.name, s.logPath, 'make', ['-C', sub, parallel, ...common], { cwd: src, env });
      await buildCommand(s.name, s.logPath, 'make', ['-C', sub, ...common, `DESTDIR=${join(s.dir, 'stage')}`, 'install'], { cwd: src, env });
    }
  });
}

/** FerretDB 2.5.0 from its vendored source, module dependencies from the Go proxy. */
async function buildFerretdb(s: Step): Promise<void> {
  await timed(s, `FerretDB ${versions.ferretdb}`, async () => {
    const src = extract(s, 'ferretdb');
    // 2.5.0 compiles gomaxprocs.go only for Go < 1.25 (`//go:build !go1.25`) but main.go calls it
    // always. Since 1.25 Go sets GOMAXPROCS from the container's CPU limit itself: a no-op is right.
    writeFileSync(
      join(src, 'cmd', 'ferretdb', 'gomaxprocs_go125.go'),
      [
        '//go:build go1.25',
        '',
        'package main',
        '',
        'import "log/slog"',
        '',
        '// setGOMAXPROCS: Go 1.25+ derives GOMAXPROCS from cgroup CPU limits on its own.',
        'func setGOMAXPROCS(*slog.Logger) {}',
        '',
      ].join('\n'),
    );
    // FerretDB's version information comes from these files (its build/version package embeds them);
    // without them buildInfo reports "unknown".
    const versionDir = join(src, 'build', 'version');
    writeFileSync(join(versionDir, 'version.txt'), `v${versions.ferretdb}\n`);
    writeFileSync(join(versionDir, 'commit.txt'), 'b4eda04f375ca6eb63867d36901787e5af6d0eb6\n');
    writeFileSync(join(versionDir, 'branch.txt'), 'main\n');
    writeFileSync(join(versionDir, 'package.txt'), 'eventline\n');
    const partial = join(s.dir, 'ferretdb.partial');
    await buildCommand('ferretdb', s.logPath, 'go', ['build', '-trimpath', '-o', partial, './cmd/ferretdb'], {
      cwd: src,
      env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
    });
    renameSync(partial, join(s.dir, 'ferretdb'));
  });
}

function pgConfigDir(flag: '--pkglibdir' | '--sharedir'): string {
  return run(pgConfig, [flag]).trim();
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Copies a staged DESTDIR tree's PostgreSQL files into place where missing or different. */
function installStaged(stage: string): number {
  let copied = 0;
  for (const dir of [pgConfigDir('--pkglibdir'), pgConfigDir('--sharedir')]) {
    for (const file of filesUnder(join(stage, dir))) {
      const target = join(dir, relative(join(stage, dir), file));
      if (existsSync(target) && statSync(target).size === statSync(file).size && readFileSync(target).equals(readFileSync(file))) continue;
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, `${target}.eventline-partial`);
      renameSync(`${target}.eventline-partial`, target);
      copied += 1;
    }
  }
  return copied;
}

/** What DocumentDB needs loaded at start, and the settings FerretDB's own images give it. */
export const documentdbSettings = [
  "shared_preload_libraries = 'pg_cron,pg_documentdb_core,pg_documentdb'",
  "cron.database_name = 'postgres'",
  'documentdb.enableCompact = true',
  'documentdb.enableLetAndCollationForQueryMatch = true',
  'documentdb.enableNowSystemVariable = true',
  'documentdb.enableSortbyIdPushDownToPrimaryKey = true',
  'documentdb.enableSchemaValidation = true',
  'documentdb.enableBypassDocumentValidation = true',
  'documentdb.enableUserCrud = true',
  'documentdb.maxUserLimit = 100',
];

export interface FerretdbStack {
  ferretdb: string;
  postgresBin: string;
  /** The extensions' staged install trees (`usr/lib/postgresql/…`, `usr/share/postgresql/…`), for an image. */
  extensionStages: string[];
}

export const ferretdbStackPaths = (): { ferretdb: string } => ({
  ferretdb: join(step('ferretdb', versions.ferretdb, archiveSha('ferretdb').slice(0, 12)).dir, 'ferretdb'),
});

let building: Promise<FerretdbStack> | undefined;

/**
 * Builds what is not cached (the C chain and FerretDB's Go build side by side), installs the
 * extensions into PostgreSQL where missing; memoised, as both the `mongo-postgres` and the `mongo`
 * component ask for it.
 */
export function ensureFerretdbStack(): Promise<FerretdbStack> {
  building ??= buildStack();
  building.catch(() => {
    building = undefined;
  });
  return building;
}

async function buildStack(): Promise<FerretdbStack> {
  const key = (name: ArchiveName) => archiveSha(name).slice(0, 12);
  const libbson = step('libbson', versions.libbson, key('libbson'));
  const pgvector = step('pgvector', `${versions.pgvector}-pg${pgMajor}`, key('pgvector'));
  const pgCron = step('pg_cron', `${versions.pgCron}-pg${pgMajor}`, key('pgCron'));
  // libbson is linked into DocumentDB statically: its key is part of DocumentDB's.
  const documentdb = step('documentdb', `${versions.documentdb}-pg${pgMajor}`, `${key('documentdb')}-libbson-${key('libbson').slice(0, 8)}`);
  const ferretdb = step('ferretdb', versions.ferretdb, key('ferretdb'));

  const extensions = [pgvector, pgCron, documentdb];
  if (extensions.some((s) => !s.done) || missingDebianPackages(debianPackages).length > 0) ensureDebianPackages(debianPackages, 'FerretDB/DocumentDB');
  const pkgconfigDir = join(buildRoot, 'pkgconfig');
  const documentdbEnv = {
    ...process.env,
    PKG_CONFIG_PATH: [join(libbson.dir, 'prefix', 'lib', 'pkgconfig'), pkgconfigDir, process.env.PKG_CONFIG_PATH].filter(Boolean).join(':'),
  };

  const cChain = async () => {
    const first = await Promise.allSettled([
      libbson.done || documentdb.done ? undefined : buildLibbson(libbson),
      pgvector.done ? undefined : buildPgxs(pgvector, 'pgvector', `pgvector ${versions.pgvector}`),
      pgCron.done ? undefined : buildPgxs(pgCron, 'pgCron', `pg_cron ${versions.pgCron}`),
    ]);
    const failed = first.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (!documentdb.done) {
      writeIntelMathPc(pkgconfigDir);
      await buildPgxs(documentdb, 'documentdb', `DocumentDB ${versions.documentdb} (pg_documentdb_core + pg_documentdb)`, documentdbEnv, ['pg_documentdb_core', 'pg_documentdb']);
    }
  };
  // Settled, not Promise.all: a failed step must not leave the other builds running behind our exit.
  const results = await Promise.allSettled([cChain(), ferretdb.done ? undefined : buildFerretdb(ferretdb)]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;

  const copied = extensions.reduce((n, s) => n + installStaged(join(s.dir, 'stage')), 0);
  if (copied > 0) log(`installed ${copied} extension files (pgvector, pg_cron, DocumentDB) into PostgreSQL ${pgMajor}`);
  return { ferretdb: join(ferretdb.dir, 'ferretdb'), postgresBin: dirname(pgConfig), extensionStages: extensions.map((s) => join(s.dir, 'stage')) };
}
