import type { V1Pod } from '@kubernetes/client-node';
import { replayResultOf } from '../../src/replay/result';

const pod = (phase: string, message?: string, container = 'replay'): V1Pod => ({
  status: {
    phase,
    containerStatuses: [{ name: container, image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, message } } }],
  },
});

describe('replayResultOf', () => {
  it("reads the succeeded pod's termination message", () => {
    expect(replayResultOf([pod('Succeeded', '{"servedGeneration":3,"rebuiltGeneration":3,"switched":true}')])).toEqual({
      servedGeneration: 3,
      rebuiltGeneration: 3,
      switched: true,
    });
  });

  it('skips failed pods (a retried Job has them) and takes the succeeded one', () => {
    expect(replayResultOf([pod('Failed', 'Error: boom'), pod('Succeeded', '{"servedGeneration":1,"switched":false}')])).toEqual({
      servedGeneration: 1,
      rebuiltGeneration: undefined,
      switched: false,
    });
  });

  it('is undefined when no pod says anything usable', () => {
    expect(replayResultOf([])).toBeUndefined();
    expect(replayResultOf([pod('Succeeded')])).toBeUndefined();
    expect(replayResultOf([pod('Succeeded', 'not json')])).toBeUndefined();
    expect(replayResultOf([pod('Succeeded', '{"servedGeneration":2}')])).toBeUndefined();
    expect(replayResultOf([pod('Succeeded', '{"servedGeneration":2,"switched":true}', 'sidecar')])).toBeUndefined();
  });

  it('drops a generation that is not a positive integer', () => {
    expect(replayResultOf([pod('Succeeded', '{"servedGeneration":-1,"rebuiltGeneration":"2","switched":true}')])).toEqual({
      servedGeneration: undefined,
      rebuiltGeneration: undefined,
      switched: true,
    });
  });
});
