import type { Logger } from '@eventline/observability';

/**
 * Disconnects a kafkajs client that is being replaced, giving it `withinMs` to do so. A wedged
 * client's disconnect can wait for ever on the same lost connection lock that wedged it; whatever it
 * still holds is then left to the garbage collector.
 */
export async function letGo(client: { disconnect(): Promise<void> }, withinMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<'abandoned'>((resolve) => {
    timer = setTimeout(() => resolve('abandoned'), withinMs);
    timer.unref();
  });
  const outcome = await Promise.race([client.disconnect().then(() => 'disconnected' as const), abandoned]).catch((error: unknown) => {
    logger.debug({ err: error }, 'the replaced Kafka client failed to disconnect');
    return 'failed' as const;
  });
  clearTimeout(timer);
  if (outcome === 'abandoned') logger.warn({ withinMs }, 'the replaced Kafka client did not disconnect in time: left behind');
}
