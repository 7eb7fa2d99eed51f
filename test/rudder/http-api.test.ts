import { describe, expect, it } from 'bun:test';
import { gzipSync } from 'node:zlib';
import { WEBSITE_ID, rudderApp } from '../helpers/rudder.ts';
import { stuckDurableBuffer } from '../helpers/test-app.ts';
import { csvField, ndjsonLine } from '../../src/http/event-lines.ts';
import { rudderId } from '../../src/ingest/rudder-message.ts';

/** Counts the events the app builds (each parses its user agent once): whether a batch was built, and how far. */
function countBuilds(r: ReturnType<typeof rudderApp>, onBuild?: (n: number) => void): { n: number } {
  const ua = r.deps.prisme.ua;
  const parse = ua.parse.bind(ua);
  const count = { n: 0 };
  ua.parse = (...a) => (count.n++, onBuild?.(count.n), parse(...a));
  return count;
}

describe('the RudderStack HTTP API', () => {
  it('stores each call type with the server fields and answers OK', async () => {
    const r = rudderApp();
    for (const type of ['identify', 'track', 'page', 'screen', 'group', 'alias']) {
      const res = await r.api(type, { anonymousId: 'a1', userId: 'u1', type: 'ignored', event: 'Signed Up', name: 'Home', traits: { plan: 'pro' }, properties: { n: 1 } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('OK');
      // A plain w.Write in Go: the sniffed type and no nosniff (http.Error's errors have it).
      expect([res.headers.get('content-type'), res.headers.get('x-content-type-options')]).toEqual(['text/plain; charset=utf-8', null]);
    }
    const events = await r.stored();
    expect(events.map((e) => e.type)).toEqual(['identify', 'track', 'page', 'screen', 'group', 'alias']);
    const track = events[1]!;
    expect(track).toMatchObject({ source: 'rudder', websiteId: WEBSITE_ID, name: 'Signed Up', userId: 'u1', properties: { n: 1 } });
    expect(track.payload).toMatchObject({ type: 'track', rudderId: expect.any(String), messageId: expect.any(String), receivedAt: '2026-01-02T03:04:05.600Z' });
    expect(events[0]!.properties).toEqual({ n: 1 });
  });

  it('names a screen from the mobile SDKs, which send it as event and properties.name, and a page from properties.name when it has no name', async () => {
    const r = rudderApp();
    const batch = [
      // Android's and iOS's screen(): no top-level name.
      { type: 'screen', anonymousId: 'm1', event: 'CheckoutActivity', properties: { name: 'CheckoutActivity' } },
      { type: 'screen', anonymousId: 'm1', properties: { name: 'Cart' } },
      { type: 'screen', anonymousId: 'n1', name: 'Home', event: 'ignored' },
      { type: 'page', anonymousId: 'w1', properties: { name: 'Pricing', url: 'https://shop.example/pricing' } },
      { type: 'page', anonymousId: 'w1', event: 'not a page name' },
    ];
    expect((await r.api('batch', { batch })).status).toBe(200);
    expect((await r.stored()).map((e) => e.name)).toEqual(['CheckoutActivity', 'Cart', 'Home', 'Pricing', null]);
  });

  it('answers 503 with Retry-After, not OK, when in durable mode a message has not committed by the ack deadline (a full disk)', async () => {
    const stuck = stuckDurableBuffer();
    const r = rudderApp(['--ack', 'durable'], { buffer: stuck.buffer });
    const answer = r.api('track', { anonymousId: 'a1', event: 'Signed Up' });
    while (stuck.accepted() === 0) await Bun.sleep(0);
    stuck.late();
    const res = await answer;
    expect([res.status, res.headers.get('retry-after'), await res.text()]).toEqual([503, '1', 'service unavailable: not stored in time\n']);
    expect(r.deps.drops.get('buffer-full')).toBe(0);
  });

  it('takes a batch of more messages than --buffer-max while its buffer is at most half full, one such batch at a time, as rudder-server limits bytes only', async () => {
    const r = rudderApp(['--buffer-max', '1000', '--flush-size', '1000']);
    // Other traffic keeps the buffer from being empty.
    expect((await r.api('track', { anonymousId: 'other' })).status).toBe(200);
    const batch = (tag: string) => Array.from({ length: 3000 }, (_, i) => ({ type: 'track', userId: `${tag}${i}`, event: 'e' }));
    const [a, b] = await Promise.all([r.api('batch', { batch: batch('a') }), r.api('batch', { batch: batch('b') })]);
    expect([a.status, b.status].sort()).toEqual([200, 503]);
    expect((await r.stored()).length).toBe(3001);
    // Once written, the next one fits.
    expect((await r.api('batch', { batch: batch('c') })).status).toBe(200);
  });

  it('takes a batch whose estimated bytes pass --buffer-max-mb beside other traffic, as its body is within the 4,000 KiB', async () => {
    const r = rudderApp(['--buffer-max-mb', '16']);
    expect((await r.api('track', { anonymousId: 'other' })).status).toBe(200);
    // 40k tiny messages (1.2 MB of JSON) are counted at least 512 B each: ~20 MB.
    const res = await r.api('batch', { batch: Array.from({ length: 40_000 }, (_, i) => ({ type: 'page', userId: String(i) })) });
    expect(res.status).toBe(200);
    expect((await r.stored()).length).toBe(40_001);
  });

  it('accepts a batch and stores every message in it', async () => {
    const r = rudderApp();
    const batch = Array.from({ length: 10_000 }, (_, i) => ({ type: i % 2 ? 'track' : 'page', anonymousId: `a${i}`, event: `e${i}`, properties: { i } }));
    const res = await r.api('batch', { batch, sentAt: '2026-01-02T03:04:05.000Z' });
    expect(res.status).toBe(200);
    const events = await r.stored();
    expect(events.length).toBe(10_000);
    expect(events[9_999]!.properties).toEqual({ i: 9_999 });
  });

  it('keeps ids sent as numbers or booleans in the identity columns, as the gateway reads them for rudderId', async () => {
    const r = rudderApp();
    expect((await r.api('identify', { userId: 12345, traits: { plan: 'pro' } })).status).toBe(200);
    expect((await r.api('track', { anonymousId: 987, userId: true, event: 'Typed' })).status).toBe(200);
    const [a, b] = await r.stored();
    expect([a!.userId, a!.anonymousId, a!.visitorId]).toEqual(['12345', null, '12345']);
    expect([b!.userId, b!.anonymousId, b!.visitorId]).toEqual(['true', '987', '987']);
    // The payload keeps the values as sent.
    expect(a!.payload).toMatchObject({ userId: 12345 });
  });

  it('stores numbers a double cannot hold exactly as sent in the payload and the properties, and reads ids as the gateway does for rudderId', async () => {
    const r = rudderApp();
    const props = '{"order_id":12345678901234567890,"revenue":10.50,"big":1e400,"items":[{"sku":9007199254740993}],"n":1}';
    const body = `{"userId":98765432109876543210,"event":"Order Completed","properties":${props},"context":{"sessionId":17329873459823450001}}`;
    expect((await r.api('track', body)).status).toBe(200);
    expect((await r.api('batch', `{"batch":[{"type":"page","anonymousId":-0,"name":"Home","properties":{"price":19.90}}]}`)).status).toBe(200);
    const [track, page] = await r.stored();
    // The gateway reads an id through a float64 (stringify.Any): its rudderId is the rounded number's,
    // as upstream's; the id columns keep the digits, so ids that differ only in their last ones stay apart.
    expect([track!.userId, track!.visitorId, track!.sessionId]).toEqual(['98765432109876543210', '98765432109876543210', '17329873459823450001']);
    expect((track!.payload as Record<string, unknown>).rudderId).toBe(rudderId('98765432109876540000', ''));
    expect(page!.anonymousId).toBe('-0');
    const lines: string[] = [];
    for await (const l of r.events.scanNdjson!({})) lines.push(l);
    expect(lines[0]).toContain(`"properties":${props}`);
    expect(lines[0]).toContain('"payload":{"userId":98765432109876543210,');
    expect(lines[1]).toContain('"properties":{"price":19.90}');
    expect(lines[1]).toContain('"anonymousId":-0,');
    // The CSV export reads each event back from its row; its numbers keep their texts there too.
    expect(csvField(track!.properties)).toBe(`"${props.replaceAll('"', '""')}"`);
    expect(csvField(track!.payload)).toContain('98765432109876543210');
    expect(ndjsonLine(track!)).toBe(lines[0]!);
  });

  it('stores nothing of a batch when one message has no id', async () => {
    const r = rudderApp();
    const res = await r.api('batch', { batch: [{ type: 'track', anonymousId: 'a', event: 'x' }, { type: 'track', event: 'no id' }] });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('request neither has anonymousId nor userId\n');
    expect(await r.stored()).toEqual([]);
  });

  it('reads a gzip-encoded body, as the SDKs send it', async () => {
    const r = rudderApp();
    const body = gzipSync(JSON.stringify({ batch: [{ type: 'track', userId: 'u', event: 'zipped' }] }));
    expect((await r.api('batch', new Uint8Array(body), { 'content-encoding': 'gzip' })).status).toBe(200);
    expect((await r.stored())[0]!.name).toBe('zipped');
    // rudder-server's middleware gunzips an exact `gzip` only: `GZIP` is read as it is, not JSON.
    const upper = await r.api('batch', new Uint8Array(body), { 'content-encoding': 'GZIP' });
    expect([upper.status, await upper.text()]).toEqual([400, 'invalid json\n']);
  });

  it('answers 401 without a usable write key, and for an unknown one', async () => {
    const r = rudderApp();
    for (const authorization of ['', 'Bearer x', 'Basic !!!', 'Basic ' + btoa(':password')]) {
      const res = await r.api('track', { anonymousId: 'a' }, { authorization });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('failed to read writekey from header\n');
    }
    const unknown = await r.api('track', { anonymousId: 'a' }, { authorization: r.auth('nope') });
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).toBe('invalid write key\n');
    // Each refusal is counted: a missing key as much as an unknown one.
    expect(r.deps.drops.get('unknown-write-key')).toBe(5);
  });

  it('answers 400 invalid json to malformed bodies and broken gzip', async () => {
    const r = rudderApp();
    for (const body of ['{"a":', '', 'not json']) {
      const res = await r.api('track', body);
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('invalid json\n');
    }
    expect((await r.api('track', new Uint8Array([1, 2, 3]), { 'content-encoding': 'gzip' })).status).toBe(400);
    expect(await r.stored()).toEqual([]);
  });

  it('answers as rudder-server does to bodies that are JSON but no message: empty batch, not an event, no id', async () => {
    const r = rudderApp();
    const cases: [string, unknown, string][] = [
      ['batch', { batch: [] }, 'empty batch payload'],
      ['batch', { batch: null }, 'empty batch payload'],
      ['batch', { notBatch: [] }, 'empty batch payload'],
      ['batch', [1, 2], 'empty batch payload'],
      ['batch', { batch: [1] }, 'event is not a valid rudder event'],
      // gjson reads any other value under batch as a batch of one.
      ['batch', { batch: 'x' }, 'event is not a valid rudder event'],
      ['batch', { batch: 5 }, 'event is not a valid rudder event'],
      ['batch', { batch: true }, 'event is not a valid rudder event'],
      ['batch', { batch: [{ type: 'nope', anonymousId: 'a' }] }, 'event is not a valid rudder event'],
      ['track', [1, 2], 'event is not a valid rudder event'],
      ['track', 'str', 'request neither has anonymousId nor userId'],
      ['track', null, 'request neither has anonymousId nor userId'],
    ];
    for (const [type, body, message] of cases) {
      const res = await r.api(type, JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(await res.text()).toBe(message + '\n');
    }
    expect(await r.stored()).toEqual([]);
  });

  it('reads a batch message by message, as the gateway does: the first wrong one says why', async () => {
    const r = rudderApp();
    const cases: [unknown[], string][] = [
      // An object without ids before a string: the ids' refusal, not the string's.
      [[{ type: 'track', event: 'x' }, 'str'], 'request neither has anonymousId nor userId'],
      [['str', { type: 'track', event: 'x' }], 'event is not a valid rudder event'],
      [[{ type: 'track', anonymousId: 'a' }, { type: 'nope' }], 'request neither has anonymousId nor userId'],
      // The gateway takes any type: its own checks run over the whole batch before Footfall's
      // six-type rule, so a later message without ids is what it would name.
      [[{ type: 'track', anonymousId: 'a' }, { type: 'nope', anonymousId: 'b' }, { type: 'track' }], 'request neither has anonymousId nor userId'],
      [[{ type: 'track', anonymousId: 'a' }, { type: 'nope', anonymousId: 'b' }], 'event is not a valid rudder event'],
      // Types the gateway takes without ids (extract, rETL's record): refused for their type alone.
      [[{ type: 'extract' }], 'event is not a valid rudder event'],
      [[{ type: 'record', properties: {} }], 'event is not a valid rudder event'],
    ];
    for (const [batch, message] of cases) {
      const res = await r.api('batch', { batch });
      expect([JSON.stringify(batch), res.status, await res.text()]).toEqual([JSON.stringify(batch), 400, message + '\n']);
    }
    expect(await r.stored()).toEqual([]);
  });

  it("reads the first batch of a body that names it twice, as gjson does (JSON.parse keeps the last), plain or gzip-encoded", async () => {
    const r = rudderApp();
    const body = '{"batch":[{"type":"track","anonymousId":"first","event":"one"}],"batch":[{"type":"track","anonymousId":"last","event":"two"}]}';
    expect((await r.api('batch', body)).status).toBe(200);
    expect((await r.api('batch', gzipSync(body), { 'content-encoding': 'gzip' })).status).toBe(200);
    // A name written with an escape is the same name.
    expect((await r.api('batch', '{"b\\u0061tch":[{"type":"track","anonymousId":"esc","event":"three"}],"batch":[]}')).status).toBe(200);
    const empty = await r.api('batch', '{"batch":[],"batch":[{"type":"track","anonymousId":"x"}]}');
    expect([empty.status, await empty.text()]).toEqual([400, 'empty batch payload\n']);
    expect((await r.stored()).map((e) => [e.anonymousId, e.name])).toEqual([['first', 'one'], ['first', 'one'], ['esc', 'three']]);
  });

  it('takes a lone object under batch as a batch of one, and reads invalid UTF-8 as U+FFFD as Go does', async () => {
    const r = rudderApp();
    expect((await r.api('batch', { batch: { type: 'track', userId: 'u', event: 'one' } })).status).toBe(200);
    const bytes = new Uint8Array([...new TextEncoder().encode('{"anonymousId":"a","event":"caf'), 0xe9, ...new TextEncoder().encode('"}')]);
    expect((await r.api('track', bytes)).status).toBe(200);
    expect((await r.stored()).map((e) => e.name)).toEqual(['one', 'caf\ufffd']);
  });

  it('reads Basic auth as Go does: one space after the scheme, padded standard base64, a colon', async () => {
    const r = rudderApp();
    const key = r.auth().slice('Basic '.length);
    for (const authorization of [`basic ${key}`, `BASIC ${key}`]) expect((await r.api('track', { anonymousId: 'a' }, { authorization })).status).toBe(200);
    // btoa('abc:') is YWJjOg== ; btoa('abc') is YWJj (no colon once decoded)
    for (const authorization of [`Basic  ${key}`, 'Basic YWJjOg', 'Basic YWJj', 'Basic YWJj-g==']) {
      const res = await r.api('track', { anonymousId: 'a' }, { authorization });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('failed to read writekey from header\n');
    }
  });

  it('refuses a credential with a trailing comma, as Go does, while reading the first of two headers', async () => {
    const r = rudderApp();
    const res = await r.api('track', { anonymousId: 'comma' }, { authorization: `${r.auth()},` });
    expect([res.status, await res.text()]).toEqual([401, 'failed to read writekey from header\n']);
  });

  it('truncates an IPv4-mapped request_ip or client address in its hex spelling as the IPv4 address it is, and places it', async () => {
    const r = rudderApp();
    expect((await r.api('batch', { batch: [{ type: 'track', anonymousId: 'hex', request_ip: '::ffff:cb00:712b' }] })).status).toBe(200);
    expect((await r.api('track', { anonymousId: 'peer' }, { 'x-forwarded-for': '::ffff:5102:45a0' })).status).toBe(200);
    const [sent, peer] = await r.stored();
    expect([sent!.payload?.request_ip, peer!.payload?.request_ip, peer!.country]).toEqual(['203.0.113.0', '81.2.69.0', 'GB']);
  });

  it('reads the first of two Authorization headers, as Go does (Bun joins them)', async () => {
    const r = rudderApp();
    const send = (first: string, second: string) =>
      r.request('/v1/track', { method: 'POST', headers: new Headers([['authorization', first], ['authorization', second], ['content-type', 'application/json']]), body: '{"anonymousId":"two"}' });
    expect((await send(r.auth(), 'Basic Zm9vOg==')).status).toBe(200);
    const unknownFirst = await send('Basic Zm9vOg==', r.auth());
    expect([unknownFirst.status, await unknownFirst.text()]).toEqual([401, 'invalid write key\n']);
    expect((await r.stored()).map((e) => e.anonymousId)).toEqual(['two']);
  });

  it('answers 400 invalid json to a body nested deeper than 10,000 levels (plain or gzip), and stores the next message', async () => {
    const r = rudderApp();
    const deep = `{"anonymousId":"a","properties":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    for (const [body, headers] of [[deep, {}], [new Uint8Array(gzipSync(deep)), { 'content-encoding': 'gzip' }]] as const) {
      const res = await r.api('track', body, headers);
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('invalid json\n');
    }
    expect((await r.api('track', { anonymousId: 'after', event: 'next' })).status).toBe(200);
    expect((await r.stored()).map((e) => e.anonymousId)).toEqual(['after']);
  });

  it('reads back, as the CSV export does, a message nested 6,000 deep whose ids hold digit-e-digit runs', async () => {
    const r = rudderApp();
    const deep = `{"anonymousId":"a1","messageId":"0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0001","event":"Deep","properties":{"tree":${'['.repeat(6000)}1${']'.repeat(6000)}}}`;
    expect((await r.api('track', deep)).status).toBe(200);
    const [e] = await r.stored();
    expect(e).toMatchObject({ name: 'Deep', anonymousId: 'a1' });
    expect(JSON.stringify(e!.properties)).toBe(`{"tree":${'['.repeat(6000)}1${']'.repeat(6000)}}`);
  });

  it('takes ids that are objects or arrays nested 9,990 deep, in a batch beside a plain message, hashing each as the gateway does', async () => {
    const r = rudderApp();
    const object = `${'{"a":'.repeat(9990)}1${'}'.repeat(9990)}`;
    const array = `${'['.repeat(9990)}1${']'.repeat(9990)}`;
    const body = `{"batch":[{"type":"track","event":"Plain","anonymousId":"p1"},{"type":"track","event":"Deep object","userId":${object}},{"type":"identify","anonymousId":${array}}]}`;
    const res = await r.api('batch', body);
    expect([res.status, await res.text()]).toEqual([200, 'OK']);
    const stored = await r.stored();
    expect(stored.map((e) => e.name ?? e.type)).toEqual(['Plain', 'Deep object', 'identify']);
    // The id column holds the id as the gateway reads it: Go's JSON of the object, here as sent.
    expect(stored[1]!.userId).toBe(object);
    expect((stored[1]!.payload as { rudderId: string }).rudderId).toBe(rudderId(object, ''));
  });

  it('answers 400 to a message without anonymousId or userId', async () => {
    const r = rudderApp();
    const res = await r.api('track', { event: 'x', anonymousId: '  ' });
    expect(res.status).toBe(400);
  });

  it('answers 413 to a 5 MB body, and to a small gzip that inflates past the limit', async () => {
    const r = rudderApp();
    const big = JSON.stringify({ anonymousId: 'a', properties: { pad: 'x'.repeat(5 * 1024 * 1024) } });
    const res = await r.api('track', big);
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('request size exceeds max limit\n');
    const bomb = gzipSync(big);
    expect(bomb.length).toBeLessThan(100_000);
    expect((await r.api('track', new Uint8Array(bomb), { 'content-encoding': 'gzip' })).status).toBe(413);
    expect(await r.stored()).toEqual([]);
  });

  it('answers 503 with Retry-After and stores nothing of a batch that does not fit beside what the buffer holds, past half full', async () => {
    const r = rudderApp(['--buffer-max', '5', '--flush-size', '5']);
    for (const id of ['first', 'second', 'third']) expect((await r.api('track', { anonymousId: id })).status).toBe(200);
    const res = await r.api('batch', { batch: Array.from({ length: 5 }, (_, i) => ({ type: 'track', anonymousId: `a${i}` })) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(r.buffer.size).toBe(3);
  });

  it('refuses a batch the buffer cannot take before building its events', async () => {
    const r = rudderApp(['--buffer-max', '5', '--flush-size', '5']);
    for (const id of ['first', 'second', 'third']) expect((await r.api('track', { anonymousId: id })).status).toBe(200);
    const builds = countBuilds(r);
    const res = await r.api('batch', { batch: Array.from({ length: 5 }, (_, i) => ({ type: 'track', anonymousId: `a${i}` })) });
    expect([res.status, builds.n]).toEqual([503, 0]);
    expect(r.deps.drops.get('buffer-full')).toBe(5);
    expect(r.buffer.snapshot().rejectedFull).toBe(5);
    expect((await r.api('batch', { batch: [{ type: 'track', anonymousId: 'fits' }] })).status).toBe(200);
    expect(builds.n).toBe(1);
  });

  it('holds room for a batch while it is built, so that two built at once never pass the cap: the one that does not fit is refused unbuilt', async () => {
    const r = rudderApp(['--buffer-max', '3000', '--flush-size', '3000']);
    const builds = countBuilds(r);
    const batch = (tag: string) => r.api('batch', { batch: Array.from({ length: 2_000 }, (_, i) => ({ type: 'track', anonymousId: `${tag}${i}` })) });
    const answers = await Promise.all([batch('a'), batch('b')]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 503]);
    expect(builds.n).toBe(2_000);
    // The room held is given back: with the buffer written, the next batch fits.
    expect((await r.stored()).length).toBe(2_000);
    expect((await batch('c')).status).toBe(200);
  });

  it('answers other requests while it builds a big batch: the events are built a slice at a time', async () => {
    const r = rudderApp();
    let builtWhenAnswered = -1;
    const builds = countBuilds(r, (n) => {
      // The first event is being built: a healthcheck arrives.
      if (n === 1) void r.request('/api/v1/healthcheck').then((h) => (expect(h.status).toBe(200), (builtWhenAnswered = builds.n)));
    });
    const n = 20_000;
    const res = await r.api('batch', { batch: Array.from({ length: n }, (_, i) => ({ type: 'track', anonymousId: `a${i}`, event: 'Bulk' })) });
    expect([res.status, builds.n]).toEqual([200, n]);
    // Answered after the first slice of 1,000 messages, not after all 20,000.
    expect(builtWhenAnswered).toBeGreaterThan(0);
    expect(builtWhenAnswered).toBeLessThanOrEqual(2_000);
    expect((await r.stored()).length).toBe(n);
  });

  it('answers 503 once the messages held would pass --buffer-max-mb, however few they are, and takes them again once written', async () => {
    const r = rudderApp(['--buffer-max-mb', '16']);
    const track = (i: number) => r.api('track', { anonymousId: `a${i}`, event: 'Upload', properties: { pad: 'x'.repeat(3.5 * 1024 * 1024) } });
    for (let i = 0; i < 4; i++) expect((await track(i)).status).toBe(200);
    const full = await track(4);
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('1');
    expect(r.buffer.size).toBe(4);
    expect((await r.stored()).map((e) => e.anonymousId)).toEqual(['a0', 'a1', 'a2', 'a3']);
    expect((await track(4)).status).toBe(200);
  });

  it('answers 401 and stores nothing when the write key is rotated while the body is still arriving', async () => {
    // Room for 100 messages: the next batch fits only if the refused one gave back the room it held.
    const r = rudderApp(['--buffer-max', '100', '--flush-size', '100']);
    const batch = (tag: string) => ({ batch: Array.from({ length: 100 }, (_, i) => ({ type: 'track', anonymousId: `${tag}${i}`, event: 'Slow upload' })) });
    const body = new TextEncoder().encode(JSON.stringify(batch('a')));
    let send!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({ start: (c) => void (send = c) });
    const answer = r.request('/v1/batch', { method: 'POST', headers: { authorization: r.auth(), 'content-type': 'application/json' }, body: stream });
    send.enqueue(body.subarray(0, 10));
    await Bun.sleep(0);
    expect(r.meta.websites.setWriteKey(WEBSITE_ID, 'wk_rotated_0123456789', r.clock())).not.toBeNull();
    send.enqueue(body.subarray(10));
    send.close();
    const res = await answer;
    expect([res.status, await res.text()]).toEqual([401, 'invalid write key\n']);
    expect(await r.stored()).toEqual([]);
    expect(r.buffer.size).toBe(0);
    expect(r.deps.drops.get('unknown-write-key')).toBe(100);
    // The new key works, and the room the refused batch held was given back.
    expect((await r.api('batch', batch('b'), { authorization: r.auth('wk_rotated_0123456789') })).status).toBe(200);
  });

  it('answers 405 to GET on an API path', async () => {
    const r = rudderApp();
    expect((await r.request('/v1/track')).status).toBe(405);
  });
});
