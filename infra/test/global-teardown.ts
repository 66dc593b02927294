import { existsSync, readFileSync, rmSync } from 'node:fs';
import { down } from '../src/infra';
import { startedFile } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  if (!existsSync(startedFile)) return;
  const started = JSON.parse(readFileSync(startedFile, 'utf8')) as string[];
  rmSync(startedFile, { force: true });
  if (started.length > 0 && process.env.EVENTLINE_KEEP_INFRA !== '1') await down(started);
}
