import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

let stdout: DestinationStream | undefined;

/**
 * One asynchronous stdout for every logger of the process: a log line never blocks the event loop
 * on a slow reader of the pipe (a busy log collector), which a synchronous write does once the pipe
 * is full. One stream keeps lines whole and in order; pino flushes it when the process exits. A
 * SIGKILL loses what is still in flight, as it loses everything else in memory.
 */
function stdoutDestination(): DestinationStream {
  stdout ??= pino.destination({ dest: 1, sync: false });
  return stdout;
}

/** JSON logs on stdout, one line per event, with the service name on every line. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name: service,
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stdoutDestination(),
  );
}
