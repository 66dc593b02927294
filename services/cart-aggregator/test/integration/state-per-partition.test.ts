import { eventually, requestJson, startServiceProcess, type ServiceProcess } from '@eventline/testkit';
import { CHANGELOG_TOPIC } from '../../src/changelog';
import { byItem, cartEnvironment, committedTotal, generateCartEvents, lastPerKey, produceCartEvents, readCartDetails } from '../support';

interface Held {
  partitions: { partition: number; restored: boolean; carts: number; position: string }[];
}

interface Restored {
  partitions: number[];
  gained: number[];
  lost: number[];
  recordsRead: number;
  carts: number;
}

const held = async (instance: ServiceProcess) => (await requestJson<Held>(`${instance.url}/aggregator/state`)).body.partitions;
const carts = (partitions: Held['partitions']) => partitions.reduce((sum, p) => sum + p.carts, 0);

/** The instance's restores so far, from its log. */
const restores = (instance: ServiceProcess): Restored[] =>
  instance.process.lines.filter((line) => line.includes('"msg":"restored cart state from the changelog"')).map((line) => JSON.parse(line) as Restored);

/**
 * State per partition (cart-events and the changelog have 3 partitions each): one instance holds
 * every cart; a second one takes some partitions and reads only their changelog partitions, while
 * the first keeps the rest in memory without reading anything again; when the second stops, the
 * first reads back only the partitions it regains. The carts stay exact throughout.
 */
describe('cart-aggregator: state kept per input partition', () => {
  const started: ServiceProcess[] = [];
  afterAll(() => Promise.all(started.splice(0).map((s) => s.process.kill('SIGTERM'))));

  it('holds only the carts of its partitions, restores only what it gains, and keeps every cart exact', async () => {
    const env = await cartEnvironment();
    started.push(await startServiceProcess('product-service', env.products));
    const { events, expected } = generateCartEvents(300, 6);
    const group = `${env.prefix}cart-aggregator`;
    const settings = { ...env.aggregator, KAFKA_SESSION_TIMEOUT_MS: '6000', RECORDS_PER_TRANSACTION: '200' };
    const committed = (n: number) =>
      eventually(
        () => committedTotal(group, `${env.prefix}cart-events`),
        (total) => total === n,
        { what: `${n} events committed`, timeoutMs: 120_000 },
      );

    // A third of the events with one instance, a third with two, a third after the second stopped.
    const third = events.length / 3;
    const first = await startServiceProcess('cart-aggregator', settings);
    started.push(first);
    await produceCartEvents(env.prefix, events.slice(0, third));
    await committed(third);
    const alone = await held(first);
    expect(alone.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(carts(alone)).toBe(300);

    const second = await startServiceProcess('cart-aggregator', settings);
    started.push(second);
    await second.process.waitForLine(/"msg":"joined group"/, 60_000);
    // State follows the assignment at the first records after a rebalance.
    await produceCartEvents(env.prefix, events.slice(third, 2 * third));
    await committed(2 * third);
    const [mine, theirs] = [await held(first), await held(second)];
    expect([...mine, ...theirs].map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    expect([...mine, ...theirs].every((p) => p.restored)).toBe(true);
    expect(mine.length).toBeGreaterThan(0);
    expect(theirs.length).toBeGreaterThan(0);
    expect(carts(mine) + carts(theirs)).toBe(300);
    // The second read only the changelog partitions it was given; the first read nothing again for
    // the ones it kept (nobody else wrote them meanwhile) and let the others go.
    expect(restores(second).at(-1)).toMatchObject({ gained: theirs.map((p) => p.partition), lost: [] });
    expect(restores(second).at(-1)!.recordsRead).toBeGreaterThanOrEqual(carts(theirs));
    expect(restores(first).at(-1)).toMatchObject({ gained: [], lost: theirs.map((p) => p.partition), recordsRead: 0, carts: carts(mine) });

    // The second stops: the first regains its partitions and reads only those.
    await second.process.kill('SIGTERM');
    await produceCartEvents(env.prefix, events.slice(2 * third));
    await committed(events.length);
    const regained = await held(first);
    expect(regained.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(carts(regained)).toBe(300);
    expect(restores(first).at(-1)).toMatchObject({ gained: theirs.map((p) => p.partition), lost: [] });

    for (const topic of [`${env.prefix}cart-details`, `${env.prefix}${CHANGELOG_TOPIC}`]) {
      const final = lastPerKey(await readCartDetails(topic));
      expect(final.size).toBe(expected.size);
      for (const [customerId, cart] of expected) expect(byItem(final.get(customerId)!)).toEqual(cart);
    }
  }, 300_000);
});
