import { describe, expect, it } from 'bun:test';
import { BodyPool, headerText, NotUtf8Error, pathOf, readBody, readBytes, SMALL_BODY_BYTES, strictSearchParams } from './request-values.ts';

const post = (body: string | Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) => new Request('http://footfall.test/', { method: 'POST', body, headers });
const streamOf = (...parts: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(p);
      c.close();
    },
  });

describe('readBody', () => {
  it('reads a body with a declared length in one go, as strict UTF-8', async () => {
    const bytes = new TextEncoder().encode('{"café":1}');
    expect(await readBody(post(bytes, { 'content-length': String(bytes.length) }), 100)).toEqual({ ok: true, text: '{"café":1}' });
  });

  it('refuses a declared length over the limit without reading the body', async () => {
    expect(await readBody(post('x'.repeat(11), { 'content-length': '11' }), 10)).toEqual({ ok: false, error: 'too-large' });
  });

  it('reads a declared empty body as empty text', async () => {
    expect(await readBody(post('', { 'content-length': '0' }), 10)).toEqual({ ok: true, text: '' });
  });

  it('refuses invalid UTF-8 with or without a declared length', async () => {
    const bad = new Uint8Array([0x7b, 0xff, 0x7d]);
    expect(await readBody(post(bad, { 'content-length': '3' }), 10)).toEqual({ ok: false, error: 'invalid-utf8' });
    expect(await readBody(post(streamOf(bad)), 10)).toEqual({ ok: false, error: 'invalid-utf8' });
  });

  it('counts an undeclared (streamed) body as it arrives and stops past the limit', async () => {
    const chunk = new Uint8Array(6).fill(0x61);
    expect(await readBody(post(streamOf(chunk, chunk)), 12)).toEqual({ ok: true, text: 'a'.repeat(12) });
    expect(await readBody(post(streamOf(chunk, chunk)), 11)).toEqual({ ok: false, error: 'too-large' });
  });
});

describe('headerText', () => {
  /** A header as Bun hands it over: each byte of the value one character. */
  const raw = (bytes: number[]) => new Headers({ 'x-t': String.fromCharCode(...bytes) });

  it('passes ASCII values and missing headers through as they are', () => {
    expect(headerText(new Headers({ 'x-t': 'https://a.example/x?q=1' }), 'x-t')).toBe('https://a.example/x?q=1');
    expect(headerText(new Headers(), 'x-t')).toBeNull();
  });

  it('reads bytes over 0x7f as the UTF-8 the client sent', () => {
    expect(headerText(raw([...new TextEncoder().encode('https://a.example/café')]), 'x-t')).toBe('https://a.example/café');
  });

  it('refuses a value that is not UTF-8, naming the header', () => {
    expect(() => headerText(raw([0x63, 0x61, 0x66, 0xff, 0xfe]), 'x-t')).toThrow(new NotUtf8Error('header x-t'));
    // A lone continuation byte, and a sequence cut short.
    expect(() => headerText(raw([0x61, 0x80]), 'x-t')).toThrow(NotUtf8Error);
    expect(() => headerText(raw([0x61, 0xc3]), 'x-t')).toThrow(NotUtf8Error);
  });
});

describe('strictSearchParams', () => {
  const get = (url: string, key: string) => strictSearchParams(url).get(key);

  it('reads parameters as URLSearchParams does: plus as space, UTF-8 escapes decoded, first value of a repeated key', () => {
    expect(get('http://h/p?a=caf%C3%A9+au+lait&a=2', 'a')).toBe('café au lait');
    expect(get('http://h/p', 'a')).toBeNull();
    expect(get('http://h/p?a=1#frag?a=2', 'a')).toBe('1');
  });

  it('keeps a percent sign that starts no escape, as URLSearchParams does', () => {
    expect(get('http://h/p?a=100%&b=%zz%C3%A9', 'a')).toBe('100%');
    expect(get('http://h/p?a=100%&b=%zz%C3%A9', 'b')).toBe('%zzé');
  });

  it('refuses escapes that decode to invalid UTF-8 in a value or a key', () => {
    expect(() => strictSearchParams('http://h/p?referrer=http%3A%2F%2Fa%2Fq%FF')).toThrow(new NotUtf8Error('query'));
    expect(() => strictSearchParams('http://h/p?%FF=1')).toThrow(NotUtf8Error);
    // The first byte of é, cut off by the next parameter.
    expect(() => strictSearchParams('http://h/p?a=%C3&b=%A9')).toThrow(NotUtf8Error);
  });
});

describe('pathOf', () => {
  it('reads the path of an absolute URL and of one that is only a path (a request without a Host)', () => {
    expect(pathOf('http://x/api/v1/healthcheck?a=1')).toBe('/api/v1/healthcheck');
    expect(pathOf('http://app/p/slug/#frag')).toBe('/p/slug/');
    expect(pathOf('/api/v1/healthcheck')).toBe('/api/v1/healthcheck');
    expect(pathOf('/api/v1/events/pageviews?x=/y')).toBe('/api/v1/events/pageviews');
    expect(pathOf('http://host')).toBe('/');
  });
});

describe('the bytes the bodies being read at once may hold', () => {
  /** A request whose body has sent `sent` bytes of `declared` and then waits, until `abort` is called. */
  function hanging(declared: number, sent: number) {
    let abort!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        if (sent) c.enqueue(new Uint8Array(sent));
        abort = () => c.error(new DOMException('The client went away', 'AbortError'));
      },
    });
    return { request: post(body, { 'content-length': String(declared) }), abort: () => abort() };
  }

  it('charges bytes as they arrive: bodies only announced hold nothing, and refuse no one', async () => {
    const pool = new BodyPool(1024);
    const announced = Array.from({ length: 50 }, () => hanging(4 * 1024 * 1024, 0));
    const reads = announced.map((h) => readBody(h.request, 4 * 1024 * 1024, false, pool));
    await Bun.sleep(0);
    expect(pool.bytes).toBe(0);
    expect(await readBody(post('{"a":1}', { 'content-length': '7' }), 100, false, pool)).toEqual({ ok: true, text: '{"a":1}' });
    for (const h of announced) h.abort();
    expect((await Promise.all(reads)).map((r) => (r.ok ? 'ok' : r.error))).toEqual(announced.map(() => 'aborted'));
  });

  it('answers "busy" once the bytes that arrived pass the pool\'s cap, and takes bodies again once they end', async () => {
    const pool = new BodyPool(1000);
    const open = Array.from({ length: 4 }, () => hanging(10_000, 250));
    const reads = open.map((h) => readBody(h.request, 10_000, false, pool));
    await Bun.sleep(0);
    expect(pool.bytes).toBe(1000);
    expect(await readBody(post('x', { 'content-length': '1' }), 100, false, pool)).toEqual({ ok: false, error: 'busy' });
    expect(await readBody(post(streamOf(new Uint8Array(1))), 100, false, pool)).toEqual({ ok: false, error: 'busy' });
    // Another pool (the management API's) is not held up by this one.
    expect(await readBody(post('{}', { 'content-length': '2' }), 100, false, new BodyPool(1000))).toEqual({ ok: true, text: '{}' });
    for (const h of open) h.abort();
    await Promise.all(reads);
    expect(pool.bytes).toBe(0);
    expect(await readBody(post('ok', { 'content-length': '2' }), 100, false, pool)).toEqual({ ok: true, text: 'ok' });
    expect(pool.bytes).toBe(0);
  });

  it('keeps a reserve for small bodies that big ones cannot take: with the pool held by big uploads, a small body is still read', async () => {
    const pool = new BodyPool(10_000, 1_000);
    const big = [hanging(50_000, 5_000), hanging(50_000, 5_000)];
    const bigReads = big.map((h) => readBody(h.request, 50_000, false, pool));
    await Bun.sleep(0);
    expect(pool.bytes).toBe(10_000);
    const third = hanging(50_000, 5_000);
    expect(await readBody(third.request, 50_000, false, pool)).toEqual({ ok: false, error: 'busy' });
    expect(await readBody(post('{"a":1}', { 'content-length': '7' }), 100, false, pool)).toEqual({ ok: true, text: '{"a":1}' });
    // A body that announced more than a small one is not small, however little of it has arrived.
    const announced = hanging(50_000, 100);
    expect(await readBody(announced.request, 50_000, false, pool)).toEqual({ ok: false, error: 'busy' });
    // Nor are compressed bytes (a few KiB of gzip can inflate to megabytes).
    expect(await readBytes(post('{"a":1}', { 'content-length': '7' }), 100, pool, false)).toBe('busy');
    // Small bodies held open fill the reserve in turn, charged only what came (the pool is past its cap).
    const small = Array.from({ length: 4 }, () => hanging(4_000, 250));
    const smallReads = small.map((h) => readBody(h.request, 4_000, false, pool));
    await Bun.sleep(0);
    expect(pool.bytes).toBe(11_000);
    expect(await readBody(post('{"a":1}', { 'content-length': '7' }), 100, false, pool)).toEqual({ ok: false, error: 'busy' });
    for (const h of [...big, ...small]) h.abort();
    await Promise.all([...bigReads, ...smallReads]);
    expect(pool.bytes).toBe(0);
  });

  it('charges a small body of a declared length its whole size while it waits for it, only under the cap (never into the reserve), and gives it back once read or given up', async () => {
    const pool = new BodyPool(10_000, 1_000);
    const waiting = hanging(SMALL_BODY_BYTES, 10);
    const read = readBody(waiting.request, 10_000, false, pool);
    await Bun.sleep(0);
    expect(pool.bytes).toBe(SMALL_BODY_BYTES);
    waiting.abort();
    expect(await read).toEqual({ ok: false, error: 'aborted' });
    expect(pool.bytes).toBe(0);
    // Nor is a length beside a Transfer-Encoding (Bun refuses it before us; the length is not trusted here either).
    let cut!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(10));
        cut = () => c.error(new DOMException('The client went away', 'AbortError'));
      },
    });
    const chunkedRead = readBody(post(body, { 'content-length': '100', 'transfer-encoding': 'chunked' }), 10_000, false, pool);
    await Bun.sleep(0);
    expect(pool.bytes).toBe(10);
    cut();
    expect(await chunkedRead).toEqual({ ok: false, error: 'aborted' });
    expect(pool.bytes).toBe(0);
    // One byte more is not small: charged as it arrives.
    const larger = hanging(SMALL_BODY_BYTES + 1, 10);
    const largerRead = readBody(larger.request, 10_000, false, pool);
    await Bun.sleep(0);
    expect(pool.bytes).toBe(10);
    larger.abort();
    expect(await largerRead).toEqual({ ok: false, error: 'aborted' });
    // With the pool past its cap, a small body is charged only what came: connections that only
    // announce one cannot fill the reserve kept for small bodies.
    const big = hanging(20_000, 10_000);
    const bigRead = readBody(big.request, 20_000, false, pool);
    await Bun.sleep(0);
    const announced = [hanging(500, 0), hanging(500, 0)];
    const announcedReads = announced.map((h) => readBody(h.request, 10_000, false, pool));
    await Bun.sleep(0);
    expect(pool.bytes).toBe(10_000);
    expect(await readBody(post('{"a":1}', { 'content-length': '7' }), 100, false, pool)).toEqual({ ok: true, text: '{"a":1}' });
    for (const h of [big, ...announced]) h.abort();
    await Promise.all([bigRead, ...announcedReads]);
    // A whole small body is read as it was sent, and the pool is left as it was.
    expect(await readBody(post('{"a":"é"}', { 'content-length': String(Buffer.byteLength('{"a":"é"}')) }), 100, false, pool)).toEqual({ ok: true, text: '{"a":"é"}' });
    expect(pool.bytes).toBe(0);
  });

  it('reads a body whose Content-Length is a list of the same length, as Bun passes it on', async () => {
    const req = new Request('http://footfall.test/', { method: 'POST', body: '{"a":1}', headers: { 'content-length': '7' } });
    const twice = Object.defineProperty(req, 'headers', { value: new Headers({ 'content-length': '7, 7' }) });
    expect(await readBody(twice, 100)).toEqual({ ok: true, text: '{"a":1}' });
  });

  it('reports a failure that is not the client going away, instead of calling it "aborted"', async () => {
    const broken = new ReadableStream<Uint8Array>({ start: (c) => c.error(new TypeError('a bug of ours')) });
    await expect(readBody(post(broken, { 'content-length': '10' }), 100)).rejects.toThrow('a bug of ours');
  });
});
