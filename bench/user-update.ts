import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createDatabase, eventually, isolatedKafkaEnvironment, requestJson, startServiceProcess, type ServiceProcess } from '@eventline/testkit';
import { formatCpuShares, startCpuShares, type CpuShares } from './lib/cpu-share';
import { printProfile } from './lib/cpu-profile';
import { formatNumber, median, printMatrix } from './lib/table';
import { runWrk, type WrkResult } from './lib/wrk';
import { runScript } from './lib/script';

/**
 * Seed 000's `PUT /user-service/update` beside cart-service's `POST /api/v1/add` on the same
 * PostgreSQL, in one run: wrk at `connections` for `seconds` on each, alternating, medians of `runs`.
 * Both are one command written with its event to the outbox in one transaction; the issue asks the
 * update to reach 0.8 of the add. Cores per process are printed after each side; BENCH_CPU_PROF=1 runs
 * user-service under `node --cpu-prof` and prints where its time went.
 *
 *   npm run bench:user-update   (BENCH_UPDATE_SECONDS, BENCH_UPDATE_RUNS, BENCH_UPDATE_CONNECTIONS, BENCH_UPDATE_USERS)
 */
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export interface UserUpdateOptions {
  seconds: number;
  runs: number;
  connections: number;
  users: number;
  cpuProfile: boolean;
}

export interface Side {
  result: WrkResult;
  shares: CpuShares;
}

export interface UserUpdateResult {
  /** One per run, alternating with `adds`. */
  updates: Side[];
  adds: Side[];
}

export async function userUpdateRun(options: UserUpdateOptions): Promise<UserUpdateResult> {
  const say = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const { common } = await isolatedKafkaEnvironment();
  const env = { ...common, LOG_LEVEL: 'warn' };
  const profileDir = options.cpuProfile ? mkdtempSync(join(tmpdir(), 'user-service-profile-')) : undefined;
  const services: ServiceProcess[] = [];
  const updates: Side[] = [];
  const adds: Side[] = [];
  try {
    const [users, products, carts] = await Promise.all([
      startServiceProcess(
        'user-service',
        { ...env, LOG_LEVEL: 'info', DATABASE_URL: await createDatabase('bench_update_users') },
        'main.ts',
        profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      ),
      startServiceProcess('product-service', { ...env, LOG_LEVEL: 'info', DATABASE_URL: await createDatabase('bench_update_products') }),
      startServiceProcess('cart-service', { ...env, LOG_LEVEL: 'info', DATABASE_URL: await createDatabase('bench_update_carts') }),
    ]);
    services.push(users, products, carts);
    say(`creating ${options.users} users`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < options.users) {
          const i = next++;
          const r = await requestJson(`${users.url}/user-service/users`, 'POST', { firstname: `First${i}`, lastname: `Last${i}`, email: `user${i}@example.com` });
          if (r.status !== 201) throw new Error(`create failed: ${JSON.stringify(r)}`);
        }
      }),
    );
    for (const itemId of ['1', '2', '3']) {
      await eventually(
        () => requestJson(`${carts.url}/api/v1/add`, 'POST', { customerId: 'probe', itemId, qty: 1 }),
        (r) => r.status === 200,
        { what: `cart-service knows product ${itemId}`, timeoutMs: 60_000 },
      );
    }
    const named = new Map<number, string>([
      [users.process.child.pid!, 'user-service'],
      [carts.process.child.pid!, 'cart-service'],
      [products.process.child.pid!, 'product-service'],
    ]);
    const side = async (url: string, method: 'POST' | 'PUT', bodyExpression: string): Promise<Side> => {
      const wrkNamed = new Map(named);
      const stop = startCpuShares(wrkNamed);
      const result = await runWrk({ url, method, connections: options.connections, seconds: options.seconds, bodyExpression, onStart: (pid) => wrkNamed.set(pid, 'wrk') });
      return { result, shares: stop() };
    };
    for (let run = 1; run <= options.runs; run++) {
      say(`run ${run} of ${options.runs}: PUT /user-service/update, then POST /api/v1/add, ${options.connections} connections, ${options.seconds} s each`);
      // Users 1..4 are the seed's; the created ones follow. A new e-mail each time, so every PUT changes its row.
      updates.push(
        await side(
          `${users.url}/user-service/update`,
          'PUT',
          `string.format('{"id":%d,"firstname":"First","lastname":"Last","email":"u%d@example.com"}', math.random(5, ${options.users + 4}), math.random(1, 999999999))`,
        ),
      );
      adds.push(
        await side(`${carts.url}/api/v1/add`, 'POST', `string.format('{"customerId":"b%d","itemId":"%d","qty":1}', math.random(0, ${options.users - 1}), math.random(1, 3))`),
      );
    }
  } finally {
    await Promise.all(services.map((s) => s.process.kill('SIGTERM')));
  }
  if (profileDir) printProfile('user-service under PUT /user-service/update', profileDir);
  return { updates, adds };
}

export function printUserUpdate({ updates, adds }: UserUpdateResult, options: UserUpdateOptions): void {
  const rate = (sides: Side[]) => median(sides.map((s) => s.result.perSecond));
  const row = (what: string, sides: Side[]) => [
    what,
    formatNumber(rate(sides)),
    sides.map((s) => formatNumber(s.result.perSecond)).join(', '),
    median(sides.map((s) => s.result.p50)).toFixed(1),
    median(sides.map((s) => s.result.p99)).toFixed(1),
    String(sides.reduce((n, s) => n + s.result.failedStatus + s.result.socketErrors, 0)),
    (rate(sides) / rate(adds)).toFixed(2),
  ];
  printMatrix(
    `One command and its event through the outbox, on the same PostgreSQL: ${options.connections} connections (wrk), ${options.seconds} s per side, alternating, medians of ${options.runs} (${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version})`,
    ['what', 'commands/s', 'runs', 'p50 ms', 'p99 ms', 'failed', 'vs the add'],
    [row('PUT /user-service/update (users row + outbox)', updates), row('POST /api/v1/add (event store append + outbox)', adds)],
  );
  console.log(`PUT /user-service/update, last run: ${formatCpuShares(updates[updates.length - 1]!.shares)}`);
  console.log(`POST /api/v1/add, last run: ${formatCpuShares(adds[adds.length - 1]!.shares)}`);
}

if (require.main === module) {
  const options: UserUpdateOptions = {
    seconds: num('BENCH_UPDATE_SECONDS', 15),
    runs: num('BENCH_UPDATE_RUNS', 3),
    connections: num('BENCH_UPDATE_CONNECTIONS', 32),
    users: num('BENCH_UPDATE_USERS', 2000),
    cpuProfile: process.env.BENCH_CPU_PROF === '1',
  };
  runScript(
    () => userUpdateRun(options),
    (result) => printUserUpdate(result, options),
  );
}
