import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '@eventline/observability';

/** A pino logger whose lines are kept in memory, parsed, for assertions on what was logged. */
export function memoryLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug', base: { service: 'test' } }, sink), lines };
}
