import { runReadinessChecks } from '@eventline/http';

describe('runReadinessChecks', () => {
  it('reports each check, counting a throw, a rejection, a non-true value or a timeout as false', async () => {
    const results = await runReadinessChecks(
      [
        { name: 'sync', check: () => true },
        { name: 'async', check: async () => true },
        { name: 'down', check: async () => false },
        {
          name: 'throws',
          check: () => {
            throw new Error('no pool');
          },
        },
        { name: 'rejects', check: () => Promise.reject(new Error('no broker')) },
        { name: 'hangs', check: () => new Promise<boolean>(() => {}) },
      ],
      50,
    );

    expect(results).toEqual({ sync: true, async: true, down: false, throws: false, rejects: false, hangs: false });
  });
});
