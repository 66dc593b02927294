import { conditionOf, setCondition, type Condition } from '../../src/conditions';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:05:00Z');

describe('setCondition', () => {
  it('adds a condition stamped with the generation and the time', () => {
    const conditions = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Rebuilding', message: 'behind by 5' }, 2, t0);
    expect(conditions).toEqual([{ type: 'Ready', status: 'False', reason: 'Rebuilding', message: 'behind by 5', observedGeneration: 2, lastTransitionTime: t0.toISOString() }]);
  });

  it('keeps lastTransitionTime while the status stays, moves it when the status flips', () => {
    const first = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Rebuilding' }, 1, t0);
    const same = setCondition(first, { type: 'Ready', status: 'False', reason: 'Rebuilding', message: 'behind by 1' }, 1, t1);
    expect(conditionOf(same, 'Ready')).toMatchObject({ lastTransitionTime: t0.toISOString(), message: 'behind by 1' });
    const flipped = setCondition(same, { type: 'Ready', status: 'True', reason: 'CaughtUp' }, 1, t1);
    expect(conditionOf(flipped, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: t1.toISOString() });
  });

  it('leaves the other conditions as they are', () => {
    const other: Condition = { type: 'Waiting', status: 'True', lastTransitionTime: t0.toISOString() };
    const conditions = setCondition([other], { type: 'Ready', status: 'True' }, 3, t1);
    expect(conditions).toHaveLength(2);
    expect(conditionOf(conditions, 'Waiting')).toEqual(other);
  });
});
