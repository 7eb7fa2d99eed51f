import { afterAll, describe, expect, it } from 'bun:test';
import { HttpConnection } from './http-client.ts';

// A raw TCP server that answers each request with the next canned response, split into 1-byte writes
// when asked, so the client's parser meets every framing the load tool can see.
const answers = [
  'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK',
  'HTTP/1.1 204 No Content\r\n\r\n',
  'HTTP/1.1 400 Bad Request\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
  'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 1\r\n\r\n',
];
let n = 0;
const server = Bun.listen({
  hostname: '127.0.0.1',
  port: 0,
  socket: {
    async data(s) {
      const a = answers[n++ % answers.length]!;
      if (n % 2) s.write(a);
      else for (const ch of a) s.write(ch);
    },
  },
});
afterAll(() => server.stop(true));

describe('HttpConnection', () => {
  it('reads status codes through Content-Length, empty and chunked bodies, whole or byte by byte', async () => {
    const got: number[] = [];
    let next!: () => void;
    const c = await HttpConnection.open('127.0.0.1', server.port, (status) => {
      got.push(status);
      next();
    }, (e) => {
      throw e;
    });
    for (let i = 0; i < 8; i++) {
      const answered = new Promise<void>((r) => (next = r));
      c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await answered;
    }
    c.close();
    expect(got).toEqual([200, 204, 400, 503, 200, 204, 400, 503]);
  });
});
