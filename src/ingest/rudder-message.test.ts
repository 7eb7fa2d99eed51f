import { describe, expect, it } from 'bun:test';
import { addServerFields, hasIdentity, pixelQueryToMessage, rudderId, sanitizeUnicode, type PixelType } from './rudder-message.ts';
import { liftRudderFields } from './rudder-lift.ts';

const NOW = Date.UTC(2024, 0, 2, 3, 4, 5, 600);
const T = '2024-01-02T03:04:05.6Z';
const HEAD = `{"channel":"web","integrations":{"All":true},"originalTimestamp":"${T}","sentAt":"${T}"`;

function map(q: string, type: PixelType = 'page') {
  return pixelQueryToMessage(q, type, NOW);
}
/** JSON text of the mapped message; upstream's vectors are compared with their spaces removed. */
function text(q: string, type: PixelType = 'page'): string {
  const r = map(q, type);
  if (!('message' in r)) throw new Error('dropped');
  return JSON.stringify(r.message);
}
/** Only what the query added, between the defaults and `type`. */
function body(q: string): string {
  const t = text(q);
  expect(t.startsWith(HEAD)).toBe(true);
  return t.slice(HEAD.length, -1).replace(/,?"type":"page"/, '');
}

describe('TestPixelInterceptor (upstream)', () => {
  it('maps a request without extra fields to the defaults and the type', () => {
    // upstream uses the request type "pixel"; for anything but page/track the mapping is the same
    const r = pixelQueryToMessage('writeKey=123', 'pixel' as PixelType, NOW);
    const upstream = `{"channel": "web","integrations": {"All": true},"originalTimestamp":"${T}","sentAt":"${T}","type":"pixel"}`;
    expect(r.writeKey).toBe('123');
    expect('message' in r && JSON.stringify(r.message)).toBe(upstream.replaceAll(': ', ':'));
  });
  it('maps extra fields as strings before the type', () => {
    expect(text('writeKey=123&random=random')).toBe(`${HEAD},"random":"random","type":"page"}`);
  });
  it('reports a query without writeKey as null', () => {
    expect(map('').writeKey).toBeNull();
  });
  it('drops a track whose event is present and empty', () => {
    expect(map('writeKey=123&event=', 'track')).toEqual({ writeKey: '123', drop: 'empty-event' });
  });
});

describe('the §1.2 key → path table', () => {
  it('nests a dotted key', () => expect(body('context.page.url=https://x.y/z?q=1')).toBe(',"context":{"page":{"url":"https://x.y/z?q=1"}}'));
  it('keeps numbers as strings', () => expect(body('context.screen.width=1024')).toBe(',"context":{"screen":{"width":"1024"}}'));
  it('makes an array from numeric parts', () => expect(body('properties.items.0=x&properties.items.1=y')).toBe(',"properties":{"items":["x","y"]}'));
  it('pads a lone index with nulls', () => expect(body('properties.items.2=x')).toBe(',"properties":{"items":[null,null,"x"]}'));
  it('appends for -1', () => expect(body('properties.list.-1=x')).toBe(',"properties":{"list":["x"]}'));
  it('forces an object key with a leading colon', () => expect(body('properties.:0=x')).toBe(',"properties":{"0":"x"}'));
  it('escapes a dot with a backslash', () => expect(body('properties.a%5C.b=x')).toBe(',"properties":{"a.b":"x"}'));
  it('drops keys with * ? | # @ in any part', () => {
    for (const ch of ['*', '?', '|', '#', '@']) expect(body(`properties.a${encodeURIComponent(ch)}b.c=x&ok=1`)).toBe(',"ok":"1"');
  });
  it('drops an empty key', () => expect(body('=v&ok=1')).toBe(',"ok":"1"'));
  it('reads a lone dot as an empty key holding an array', () => expect(body('.=v')).toBe(',"":["v"]'));
  it('reads an empty part as index 0', () => expect(body('a..b=v')).toBe(',"a":[{"b":"v"}]'));
  it('overwrites the defaults with strings', () => {
    expect(text('channel=server&integrations.All=false&sentAt=X&originalTimestamp=Y')).toBe(
      '{"channel":"server","integrations":{"All":"false"},"originalTimestamp":"Y","sentAt":"X","type":"page"}',
    );
  });
  it('ignores a type from the query but keeps its place', () => expect(text('type=identify&a=1')).toBe(`${HEAD},"type":"page","a":"1"}`));
  it('applies keys in query order when a string and a path through it collide', () => {
    expect(body('properties=flat&properties.x=1')).toBe(',"properties":{"x":"1"}');
    expect(body('properties.x=1&properties=flat')).toBe(',"properties":"flat"');
  });
  it('keeps messageId and receivedAt as given, and request_ip whole only with --keep-ip', () => {
    for (const keepIp of [false, true]) {
      const r = map('anonymousId=a&messageId=%20m1%20&receivedAt=R&request_ip=1.2.3.4');
      if (!('message' in r)) throw new Error('dropped');
      addServerFields(r.message, { nowMs: NOW, requestIp: '9.9.9.9', keepIp });
      expect(r.message).toMatchObject({ messageId: 'm1', receivedAt: 'R', request_ip: keepIp ? '1.2.3.4' : '1.2.3.0' });
    }
  });
});

describe('query decoding and the rest of the mapping', () => {
  it('decodes like Go: + is a space, the first value wins, bad escapes and ; drop the pair', () => {
    expect(body('a=x+y%21&a=2&b=%zz&c=1;2&d=%3B&e')).toBe(',"a":"x y!","d":";","e":""');
  });
  it('turns each invalid UTF-8 byte into U+FFFD as Go does', () => expect(body('a=%E2%82A%FF%C3%A9')).toBe(',"a":"\ufffd\ufffdA\ufffdé"'));
  it('strips one pair of quotes from anonymousId', () => {
    expect(body('anonymousId=%22%22abc%22%22')).toBe(',"anonymousId":"\\"abc\\""');
    expect(body('anonymousId=%22')).toBe(',"anonymousId":"\\""');
  });
  it('names an unnamed page Unknown Page and sets event last-wins over a path', () => {
    expect(body('name=')).toBe(',"name":"Unknown Page"');
    expect(text('event=Opened&event.x=1', 'track')).toBe(`${HEAD},"event":"Opened","type":"track"}`);
  });
  it('keeps __proto__ as a plain key', () => expect(body('__proto__.x=1')).toBe(',"__proto__":{"x":"1"}'));
  it('drops a non-numeric key into an array and caps padding', () => {
    expect(body('a.0=x&a.b=y&b.99999=z')).toBe(',"a":["x"]');
  });
});

describe('server fields', () => {
  it('computes rudderId as upstream', () => {
    expect(rudderId('identified_user_id', 'anonymousId_1')).toBe('e4cab80e-2f0e-4fa2-87e0-3a4af182634c');
    expect(rudderId('', 'identified_user_id')).toBe('7175d459-d348-47c3-a66f-3dc1c13bd938');
    expect(rudderId(' identified_user_id\n', '\tanonymousId_1 ')).toBe('e4cab80e-2f0e-4fa2-87e0-3a4af182634c');
  });
  it('adds messageId, rudderId, receivedAt and request_ip in upstream order', () => {
    const r = map('anonymousId=identified_user_id');
    if (!('message' in r)) throw new Error('dropped');
    addServerFields(r.message, { nowMs: NOW, requestIp: '', messageIdFactory: () => 'gen' });
    expect(JSON.stringify(r.message)).toBe(
      `${HEAD},"anonymousId":"identified_user_id","type":"page","messageId":"gen",` +
        `"rudderId":"7175d459-d348-47c3-a66f-3dc1c13bd938","receivedAt":"2024-01-02T03:04:05.600Z","request_ip":""}`,
    );
  });
  it('replaces a messageId that is not a string, as the gateway reads it as a string only', () => {
    for (const messageId of [123, true, { a: 1 }, '', '  ']) {
      const m: Record<string, unknown> = { anonymousId: 'a', messageId };
      addServerFields(m, { nowMs: NOW, requestIp: '', messageIdFactory: () => 'gen' });
      expect([messageId, m.messageId]).toEqual([messageId, 'gen']);
    }
  });
  it('reads a lone surrogate in an id as U+FFFD, as gjson decodes it: an id, and hashed as one', () => {
    expect(hasIdentity({ anonymousId: '\ud800' })).toBe(true);
    expect(rudderId('', 'a\ud800')).toBe(rudderId('', 'a\ufffd'));
  });
  it('formats receivedAt with three fraction digits', () => {
    const m: Record<string, unknown> = {};
    addServerFields(m, { nowMs: Date.UTC(2024, 0, 2, 3, 4, 5), requestIp: '' });
    expect(m.receivedAt).toBe('2024-01-02T03:04:05.000Z');
  });
  it('always overwrites rudderId', () => {
    const m: Record<string, unknown> = { rudderId: 'x', userId: 'identified_user_id', anonymousId: 'anonymousId_1' };
    addServerFields(m, { nowMs: NOW, requestIp: '' });
    expect(m.rudderId).toBe('e4cab80e-2f0e-4fa2-87e0-3a4af182634c');
  });
  it('keeps a given messageId, trims it, and generates one when blank', () => {
    const kept: Record<string, unknown> = { messageId: 'm-1' };
    const trimmed: Record<string, unknown> = { messageId: '  m-2 ' };
    const blank: Record<string, unknown> = { messageId: '   ' };
    for (const m of [kept, trimmed, blank]) addServerFields(m, { nowMs: NOW, requestIp: '' });
    expect([kept.messageId, trimmed.messageId]).toEqual(['m-1', 'm-2']);
    expect(blank.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  it('keeps request_ip when given (truncated, as no raw IP is stored) and fills it otherwise', () => {
    const given: Record<string, unknown>[] = [{ request_ip: '' }, { request_ip: '2001:db8:1:2::7' }, { request_ip: 'unknown' }, { request_ip: { ip: '1.2.3.4' } }];
    const absent: Record<string, unknown> = {};
    for (const m of [...given, absent]) addServerFields(m, { nowMs: NOW, requestIp: '10.0.0.0' });
    expect([...given.map((m) => m.request_ip), absent.request_ip]).toEqual(['', '2001:db8:1::', '', '', '10.0.0.0']);
  });
  it('sanitises ids as rudder-go-kit does before trimming: invisible and non-printable characters go', () => {
    expect(sanitizeUnicode('\u0000 Test \u0000foo_bar-baz 123-222 \u0000')).toBe(' Test foo_bar-baz 123-222 ');
    expect(sanitizeUnicode('\u00a0\t\n\r\u034f')).toBe('');
    expect(sanitizeUnicode('τυχαίο;')).toBe('τυχαίο;');
    expect(sanitizeUnicode('a\u200bb\ufeffc\u2800\u3164')).toBe('abc');
    expect(hasIdentity({ anonymousId: '\u200b', userId: '\u0000\ufeff' })).toBe(false);
    // a TAB inside an id is dropped before hashing: the id hashes as "ab"
    expect(rudderId('', 'a\tb')).toBe(rudderId('', 'ab'));
    const m: Record<string, unknown> = { anonymousId: 'a', messageId: 'm\u200b1' };
    addServerFields(m, { nowMs: NOW, requestIp: '' });
    expect(m.messageId).toBe('m1');
  });
  it('sees an identity only in a non-blank anonymousId or userId', () => {
    expect(hasIdentity({ anonymousId: ' \t' })).toBe(false);
    expect(hasIdentity({})).toBe(false);
    expect(hasIdentity({ userId: 'u' })).toBe(true);
    expect(hasIdentity({ anonymousId: 'a', userId: '' })).toBe(true);
  });
});

describe('liftRudderFields', () => {
  it('reads context.page first, then properties, and the name by type', () => {
    const r = map('anonymousId=a&context.page.url=https://ex.com/p?x=1&properties.path=/p&properties.url=other&name=Home&context.userAgent=UA');
    if (!('message' in r)) throw new Error('dropped');
    expect(liftRudderFields(r.message)).toEqual({
      anonymousId: 'a', userId: null, name: 'Home', url: 'https://ex.com/p?x=1', path: '/p', referrer: null,
      title: null, hostname: 'ex.com', query: 'x=1', urlPath: '/p',
      urlUtm: { utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null },
      properties: { path: '/p', url: 'other' }, userAgent: 'UA', event: null,
    });
    const t = map('event=Opened&properties.n=1', 'track');
    if (!('message' in t)) throw new Error('dropped');
    expect(liftRudderFields(t.message)).toMatchObject({ name: 'Opened', event: 'Opened', properties: { n: '1' } });
  });
});
