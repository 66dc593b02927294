import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { jobFailure, jobOutcome, terminationMessages } from '../../src/jobs';

const job = (conditions: { type: string; status: string; reason?: string; message?: string }[]): V1Job => ({ status: { conditions } });

const pod = (name: string, started: string, phase: string, message?: string, container = 'redrive'): V1Pod => ({
  metadata: { name },
  status: {
    phase,
    startTime: new Date(started),
    containerStatuses: [{ name: container, image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, message } } }],
  },
});

describe('jobOutcome and jobFailure', () => {
  it('reads Complete and Failed conditions that are True; anything else is still running', () => {
    expect(jobOutcome(job([]))).toBe('running');
    expect(jobOutcome(job([{ type: 'Complete', status: 'True' }]))).toBe('complete');
    expect(jobOutcome(job([{ type: 'Failed', status: 'True' }]))).toBe('failed');
    expect(jobOutcome(job([{ type: 'Failed', status: 'False' }]))).toBe('running');
    expect(jobOutcome(job([{ type: 'FailureTarget', status: 'True' }]))).toBe('running');
  });

  it("gives the Failed condition's reason and message", () => {
    expect(jobFailure(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]))).toBe(
      'BackoffLimitExceeded: Job has reached the specified backoff limit',
    );
    expect(jobFailure(job([{ type: 'Complete', status: 'True' }]))).toBeUndefined();
  });
});

describe('terminationMessages', () => {
  it("lists the container's messages, the newest pod first, skipping pods that said nothing", () => {
    const pods = [
      pod('a', '2026-12-05T10:00:00Z', 'Failed', 'first'),
      pod('c', '2026-12-05T10:02:00Z', 'Failed'),
      pod('b', '2026-12-05T10:01:00Z', 'Succeeded', 'second'),
      pod('d', '2026-12-05T10:03:00Z', 'Failed', 'another container', 'sidecar'),
    ];
    expect(terminationMessages(pods, 'redrive')).toEqual(['second', 'first']);
    expect(terminationMessages(pods, 'redrive', 'Failed')).toEqual(['first']);
  });
});
