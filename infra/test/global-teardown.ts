import { existsSync, readFileSync, rmSync } from 'node:fs';
import { down } from '../src/infra';
import { removeTestResources } from './cleanup';
import { namesFile, startedFile } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  if (existsSync(namesFile)) {
    const names = readFileSync(namesFile, 'utf8').split('\n').filter(Boolean);
    rmSync(namesFile, { force: true });
    await removeTestResources(names).catch((error: unknown) => console.warn(`could not remove the test run's topics and databases: ${String(error)}`));
  }
  if (!existsSync(startedFile)) return;
  const started = JSON.parse(readFileSync(startedFile, 'utf8')) as string[];
  rmSync(startedFile, { force: true });
  if (started.length > 0 && process.env.EVENTLINE_KEEP_INFRA !== '1') await down(started);
}
