import { run } from '../../src/shell';

describe('run', () => {
  it('names a command that is not on the PATH instead of reporting a null exit status', () => {
    expect(() => run('eventline-no-such-tool', ['--version'])).toThrow(/eventline-no-such-tool --version could not start: eventline-no-such-tool is not on the PATH/);
  });

  it('returns what the command printed, and reports a failing one with its exit status', () => {
    expect(run('sh', ['-c', 'echo answered'])).toBe('answered\n');
    expect(() => run('sh', ['-c', 'echo refused >&2; exit 3'])).toThrow(/failed \(exit 3\):\nrefused/);
  });
});
