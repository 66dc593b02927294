import { reconcileTrigger } from '../../src/reconcile-trigger';
import { statusUnchanged } from '../../src/resource-client';

describe('reconcileTrigger', () => {
  const base = { metadata: { name: 'a', generation: 3, resourceVersion: '10', labels: { b: '2', a: '1' } } };

  it('ignores status and resourceVersion, and the order of labels', () => {
    const statusOnly = { ...base, metadata: { ...base.metadata, resourceVersion: '11', labels: { a: '1', b: '2' } }, status: { phase: 'Running' } };
    expect(reconcileTrigger(statusOnly)).toBe(reconcileTrigger(base));
  });

  it('changes with the generation, the deletion, the labels and the annotations', () => {
    const variants = [
      { metadata: { ...base.metadata, generation: 4 } },
      { metadata: { ...base.metadata, deletionTimestamp: new Date('2026-12-04T00:00:00Z') } },
      { metadata: { ...base.metadata, labels: { a: '1' } } },
      { metadata: { ...base.metadata, annotations: { note: 'x' } } },
    ];
    for (const variant of variants) expect(reconcileTrigger(variant)).not.toBe(reconcileTrigger(base));
  });
});

describe('statusUnchanged (JSON merge patch)', () => {
  const current = { phase: 'Rebuilding', lag: { total: 5, partitions: [{ partition: 0, lag: 5 }] }, conditions: [{ type: 'Ready', status: 'False' }] };

  it('is true for a patch that repeats what is stored, nested objects merged, undefined fields absent', () => {
    expect(statusUnchanged(current, { phase: 'Rebuilding', lag: { total: 5 }, servedGeneration: undefined })).toBe(true);
  });

  it('is false for any changed value, a replaced array or a field removed with null', () => {
    expect(statusUnchanged(current, { phase: 'CaughtUp' })).toBe(false);
    expect(statusUnchanged(current, { lag: { partitions: [{ partition: 0, lag: 4 }] } })).toBe(false);
    expect(statusUnchanged(current, { phase: null })).toBe(false);
    expect(statusUnchanged(undefined, { phase: 'Pending' })).toBe(false);
  });
});
