import { ownedByRelease } from '../../src/release-scope';

const labelled = (release: string) => ({ metadata: { labels: { 'app.kubernetes.io/instance': release } } });
const unlabelled = { metadata: { labels: { other: 'x' } } };

describe('ownedByRelease', () => {
  it('gives an object that names a release to that release alone', () => {
    expect(ownedByRelease({ release: 'shop', takeUnlabelled: false }, labelled('shop'))).toBe(true);
    expect(ownedByRelease({ release: 'eventline', takeUnlabelled: true }, labelled('shop'))).toBe(false);
  });

  it('gives an object that names none to the release that takes unlabelled objects', () => {
    expect(ownedByRelease({ release: 'eventline', takeUnlabelled: true }, unlabelled)).toBe(true);
    expect(ownedByRelease({ release: 'shop', takeUnlabelled: false }, unlabelled)).toBe(false);
    expect(ownedByRelease({ release: 'shop', takeUnlabelled: false }, {})).toBe(false);
  });

  it('takes every object when it belongs to no release', () => {
    expect(ownedByRelease({ release: '', takeUnlabelled: false }, labelled('shop'))).toBe(true);
    expect(ownedByRelease({ release: '', takeUnlabelled: false }, unlabelled)).toBe(true);
  });

  it('never gives one object to two releases of one namespace', () => {
    const releases = [
      { release: 'eventline', takeUnlabelled: true },
      { release: 'shop', takeUnlabelled: false },
    ];
    for (const object of [labelled('eventline'), labelled('shop'), labelled('gone'), unlabelled]) {
      expect(releases.filter((scope) => ownedByRelease(scope, object)).length).toBeLessThanOrEqual(1);
    }
  });
});
