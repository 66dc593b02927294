import { uniqueName, urls } from '@eventline/testkit';
import { checkAll, formatReport, registerAll, subjectName } from '../../src';
import { subjectVersions } from '../../src/registry-api';
import { catalogOf, paymentAmountAsString, paymentV1, paymentV2WithDefault, paymentV2WithoutDefault, record } from '../fixtures';

const paymentName = 'dev.eventline.test.Payment';

describe('registerAll against the registry', () => {
  const topic = uniqueName('payments');
  const subject = subjectName(topic, paymentName);

  it('registers a new subject as version 1 with BACKWARD compatibility, and is a no-op the second time', async () => {
    const catalog = catalogOf(topic, [paymentV1]);
    expect((await checkAll(catalog, urls.registry)).subjects).toEqual([expect.objectContaining({ subject, status: 'new', compatibility: 'BACKWARD' })]);

    const first = await registerAll(catalog, urls.registry);
    expect(first.ok).toBe(true);
    expect(first.subjects).toEqual([expect.objectContaining({ subject, status: 'registered', version: 1, id: expect.any(Number) })]);
    expect(formatReport(first)).toEqual([`${subject}: version 1, id ${first.subjects[0]!.id} (registered, BACKWARD)`]);

    const again = await registerAll(catalog, urls.registry);
    expect(again.subjects).toEqual([expect.objectContaining({ subject, status: 'unchanged', version: 1, id: first.subjects[0]!.id })]);
    expect(await subjectVersions(urls.registry, subject)).toHaveLength(1);
  });

  it('refuses an incompatible change, naming the field, and leaves the registry at version 1', async () => {
    const withoutDefault = await registerAll(catalogOf(topic, [paymentV2WithoutDefault]), urls.registry);
    expect(withoutDefault.ok).toBe(false);
    expect(formatReport(withoutDefault)).toEqual([
      `${subject}: incompatible with version 1: field "currency": added without a default, so records written before it cannot be read`,
      '1 incompatible subject(s): nothing was registered',
    ]);

    const retyped = await registerAll(catalogOf(topic, [paymentAmountAsString]), urls.registry);
    expect(retyped.subjects).toEqual([expect.objectContaining({ status: 'incompatible', against: 1, problem: 'field "amount": changed type from int to string' })]);
    expect((await subjectVersions(urls.registry, subject)).map((v) => v.version)).toEqual([1]);
  });

  it('accepts a compatible change (a new field with a default) as version 2', async () => {
    const catalog = catalogOf(topic, [paymentV2WithDefault]);
    expect((await checkAll(catalog, urls.registry)).subjects).toEqual([expect.objectContaining({ subject, status: 'compatible', against: 1 })]);
    const report = await registerAll(catalog, urls.registry);
    expect(report.ok).toBe(true);
    expect(report.subjects).toEqual([expect.objectContaining({ subject, status: 'registered', version: 2 })]);
    expect((await subjectVersions(urls.registry, subject)).map((v) => v.version)).toEqual([1, 2]);
  });

  it('is all or nothing: one incompatible subject and the compatible ones are not registered either', async () => {
    const refund = record('Refund', [{ name: 'id', type: 'long' }]);
    const base = catalogOf(uniqueName('payments'), [paymentV1]);
    const baseTopic = [...base.topics.keys()][0]!;
    await registerAll(base, urls.registry);

    const mixed = catalogOf(baseTopic, [paymentV2WithoutDefault, refund]);
    const report = await registerAll(mixed, urls.registry);
    expect(report.ok).toBe(false);
    expect(report.subjects.map((s) => [s.recordName, s.status])).toEqual([
      [paymentName, 'incompatible'],
      ['dev.eventline.test.Refund', 'new'],
    ]);
    expect(await subjectVersions(urls.registry, subjectName(baseTopic, 'dev.eventline.test.Refund'))).toEqual([]);
  });

  it('sets the compatibility level the catalog asks for, and checks under it', async () => {
    const fullTopic = uniqueName('payments');
    await registerAll(catalogOf(fullTopic, [paymentV1], { compatibility: { [paymentName]: 'FULL' } }), urls.registry);
    const config = await fetch(`${urls.registry}/config/${encodeURIComponent(subjectName(fullTopic, paymentName))}`).then((r) => r.json());
    expect(config).toEqual({ compatibilityLevel: 'FULL' });

    // Dropping a field without a default is BACKWARD compatible but not FULL: old readers need it.
    const dropped = record('Payment', [{ name: 'id', type: 'long' }]);
    const report = await checkAll(catalogOf(fullTopic, [dropped], { compatibility: { [paymentName]: 'FULL' } }), urls.registry);
    expect(report.subjects).toEqual([expect.objectContaining({ status: 'incompatible', against: 1 })]);
    expect(report.subjects[0]!.problem).toMatch(/^field "amount": .*readers on version 1 could not read the new schema/);
  });
});
