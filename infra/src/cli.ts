import { down, formatTable, install, status, tailLogs, up } from './infra';
import { ensureKubeTools } from './kube-tools';

const usage = 'usage: npm run infra -- up|down|status|install|logs [-f] [component...] | kube-tools';

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const names = rest.filter((a) => !a.startsWith('-'));
  switch (command) {
    case 'install':
      await install(names);
      return 0;
    case 'up': {
      const started = await up(names);
      console.log(started.length > 0 ? `started: ${started.join(', ')}` : 'already running: nothing started');
      console.log(formatTable(await status()));
      return 0;
    }
    case 'down': {
      const stopped = await down(names);
      console.log(stopped.length > 0 ? `stopped: ${stopped.join(', ')}` : 'nothing of ours was running');
      return 0;
    }
    case 'status': {
      const rows = await status();
      console.log(formatTable(rows));
      return rows.every((r) => r.health === 'healthy') ? 0 : 3;
    }
    case 'kube-tools': {
      const tools = ensureKubeTools();
      for (const [name, path] of Object.entries(tools)) console.log(`${name.padEnd(14)} ${path}`);
      return 0;
    }
    case 'logs':
      tailLogs(names, rest.includes('-f') || rest.includes('--follow'));
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`infra: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
