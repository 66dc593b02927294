import { EventStreamParser } from '../../src/remote';

describe('EventStreamParser', () => {
  it('returns complete events only, across chunk boundaries and CRLF line ends', () => {
    const parser = new EventStreamParser();
    expect(parser.feed('event: config\nid: "e1"\nda')).toEqual([]);
    expect(parser.feed('ta: {"a":1}\r\n\r\n: heartbeat\n\nevent: absent\ndata: {}\n\n')).toEqual([
      { event: 'config', id: '"e1"', data: '{"a":1}' },
      { event: 'absent', data: '{}', id: undefined },
    ]);
  });

  it('joins multi-line data and defaults the event name to message', () => {
    const parser = new EventStreamParser();
    expect(parser.feed('data: one\ndata: two\n\n')).toEqual([{ event: 'message', data: 'one\ntwo', id: undefined }]);
  });
});
