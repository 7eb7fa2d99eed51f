import { describe, expect, it } from 'bun:test';
import { readBody } from './request-values.ts';

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
