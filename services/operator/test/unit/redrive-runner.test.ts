import { ledgerKey } from '../../src/redrive/ledger';
import { redriveRunnerFor } from '../../src/redrive/runner';
import type { Redrive, RedriveStatus } from '../../src/redrive/types';

const redrive = (name: string, topic: string, status?: RedriveStatus, created = '2026-01-01T00:00:00Z', deleting = false): Redrive => ({
  apiVersion: 'eventline.dev/v1alpha1',
  kind: 'Redrive',
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, creationTimestamp: new Date(created), ...(deleting ? { deletionTimestamp: new Date(created) } : {}) },
  spec: { topic },
  status,
});

describe('redriveRunnerFor', () => {
  it('keeps the running Redrive of a topic running, whatever is older', () => {
    const older = redrive('older', 'orders', undefined, '2026-01-01T00:00:00Z');
    const running = redrive('running', 'orders', { phase: 'Running' }, '2026-01-02T00:00:00Z');
    expect(redriveRunnerFor([older, running], 'orders')?.metadata.name).toBe('running');
  });

  it("picks the oldest waiting one, then by name; finished, deleted and other topics' ones do not count", () => {
    const list = [
      redrive('done', 'orders', { phase: 'Completed' }, '2025-01-01T00:00:00Z'),
      redrive('failed', 'orders', { phase: 'Failed' }, '2025-01-01T00:00:00Z'),
      redrive('going', 'orders', undefined, '2025-01-01T00:00:00Z', true),
      redrive('payments', 'payments', { phase: 'Running' }, '2025-01-01T00:00:00Z'),
      redrive('b', 'orders', { phase: 'Pending' }, '2026-01-01T00:00:00Z'),
      redrive('a', 'orders', undefined, '2026-01-01T00:00:00Z'),
      redrive('newest', 'orders', undefined, '2026-02-01T00:00:00Z'),
    ];
    expect(redriveRunnerFor(list, 'orders')?.metadata.name).toBe('a');
    expect(redriveRunnerFor(list, 'payments')?.metadata.name).toBe('payments');
    expect(redriveRunnerFor(list, 'refunds')).toBeUndefined();
  });
});

describe('ledgerKey', () => {
  it('names a dead letter by where it lay, as the redrive-from header does', () => {
    expect(ledgerKey('p.orders.dlq', 2, '17')).toBe('p.orders.dlq/2/17');
  });
});
