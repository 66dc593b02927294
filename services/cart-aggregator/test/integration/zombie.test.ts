import { eventually, localKafka, startServiceProcess, type ServiceProcess } from '@eventline/testkit';
import { CHANGELOG_TOPIC } from '../../src/changelog';
import { assertNoDuplicateOutputs, byItem, cartEnvironment, committedTotal, generateCartEvents, lastPerKey, produceCartEvents, readCartDetails } from '../support';

/**
 * A zombie: an instance paused (a long GC, a stalled node) between its transaction's sends and its
 * commit, past its session timeout. The group gives its partitions to another instance, which
 * carries on; then the paused one resumes and commits. That late commit must be refused, or its
 * outputs land after newer ones (stale carts, doubled adds) and its offsets move the group.
 */
describe('cart-aggregator: an instance held before its commit past its session timeout', () => {
  const started: ServiceProcess[] = [];
  afterEach(() => Promise.all(started.splice(0).map((s) => s.process.kill('SIGTERM'))));

  it('is fenced: its late commit is refused, and every cart in cart-details and the changelog is exact, each change written once', async () => {
    const env = await cartEnvironment();
    started.push(await startServiceProcess('product-service', env.products));
    const { events, expected } = generateCartEvents(150, 20);
    // Session timeout 6 s (the broker's minimum); the held transaction waits 30 s before its commit,
    // long enough for the other instance to take the partitions over however loaded the machine, and
    // inside a 120 s transaction timeout, so that nothing but fencing can refuse it.
    const common = { KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_TRANSACTION_TIMEOUT_MS: '120000', RECORDS_PER_TRANSACTION: '100' };
    const held = await startServiceProcess('cart-aggregator', { ...env.aggregator, ...common, EVENTLINE_DELAYS: 'processor.before-commit@2=30000' });
    started.push(held);
    started.push(await startServiceProcess('cart-aggregator', { ...env.aggregator, ...common }));
    const group = `${env.prefix}cart-aggregator`;
    const admin = localKafka('zombie-group-check').admin();
    await admin.connect();
    const bothIn = () =>
      eventually(
        () => admin.describeGroups([group]),
        (d) => d.groups[0]?.state === 'Stable' && d.groups[0]?.members.length === 2,
        { what: 'both instances in the group', timeoutMs: 60_000 },
      );
    await bothIn();

    await produceCartEvents(env.prefix, events);
    await held.process.waitForLine(/"msg":"delay point processor.before-commit passed"/, 90_000);
    await held.process.waitForLine(/"msg":"commit refused: another instance holds the partition now \(fenced\)"/, 30_000);

    // The held instance comes back into the group; all input is consumed once.
    await bothIn();
    await admin.disconnect();
    await eventually(
      () => committedTotal(group, `${env.prefix}cart-events`),
      (n) => n === events.length,
      { what: `all ${events.length} events committed`, timeoutMs: 120_000 },
    );
    for (const topic of [`${env.prefix}cart-details`, `${env.prefix}${CHANGELOG_TOPIC}`]) {
      const records = await readCartDetails(topic);
      assertNoDuplicateOutputs(records);
      const final = lastPerKey(records);
      expect(final.size).toBe(expected.size);
      for (const [customerId, cart] of expected) expect(byItem(final.get(customerId)!)).toEqual(cart);
    }
  }, 300_000);
});
