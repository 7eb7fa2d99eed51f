import { describe, expect, it } from 'bun:test';
import { RUDDER_GIF } from '../../src/http/gifs.ts';
import { WEBSITE_ID, WRITE_KEY, rudderApp } from '../helpers/rudder.ts';

const T = '2026-01-02T03:04:05.6Z'; // the manual clock's instant, as Go's RFC 3339 with trimmed nanoseconds

async function expectGif(res: Response) {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/gif');
  expect(new Uint8Array(await res.arrayBuffer())).toEqual(RUDDER_GIF);
}

describe('GET /pixel/v1/page and /pixel/v1/track', () => {
  it('answer 200 and the exact 43-byte GIF whatever the query, storing only good hits', async () => {
    const r = rudderApp();
    for (const [type, q] of [
      ['page', `writeKey=${WRITE_KEY}&anonymousId=a1`],
      ['page', ''],
      ['page', 'writeKey='],
      ['page', 'writeKey=unknown&anonymousId=a1'],
      ['page', `writeKey=${WRITE_KEY}`],
      ['track', `writeKey=${WRITE_KEY}&anonymousId=a1&event=`],
      ['track', `writeKey=${WRITE_KEY}&anonymousId=a1&event=Email%20Opened`],
      ['track', '%%%&&&==='],
    ] as const) await expectGif(await r.pixel(type, q));
    expect((await r.stored()).map((e) => [e.type, e.name])).toEqual([['page', null], ['track', 'Email Opened']]);
    expect(r.deps.drops.snapshot()).toMatchObject({ 'unknown-write-key': 4, 'missing-identity': 1, 'empty-event': 1 });
  });

  it('answers a hit sent by our Swagger UI\'s "Try it out" with the GIF and stores nothing, counting it', async () => {
    const r = rudderApp();
    await expectGif(await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=a1`, { 'x-footfall-try-it-out': '1' }));
    await expectGif(await r.pixel('track', `writeKey=${WRITE_KEY}&anonymousId=a1&event=Opened`, { 'x-footfall-try-it-out': '1' }));
    // An unknown write key is reported as that, marked or not: what someone trying the docs needs to know.
    await expectGif(await r.pixel('page', 'writeKey=nope&anonymousId=a1', { 'x-footfall-try-it-out': '1' }));
    expect(r.deps.drops.snapshot()).toMatchObject({ 'docs-try-out': 2, 'unknown-write-key': 1 });
    await expectGif(await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=a1`));
    expect((await r.stored()).length).toBe(1);
  });

  it('answers 405 with Allow: GET to other methods', async () => {
    const r = rudderApp();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'HEAD']) {
      const res = await r.request(`/pixel/v1/page?writeKey=${WRITE_KEY}&anonymousId=a1`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET');
    }
    // chi's routes are strict: a trailing slash is another path.
    const slash = await r.request(`/pixel/v1/track/?writeKey=${WRITE_KEY}&anonymousId=a1&event=e`);
    expect(slash.status).toBe(404);
    expect(await slash.text()).toBe('404 page not found\n');
    expect((await r.api('track/', { anonymousId: 'a' })).status).toBe(404);
    expect(await r.stored()).toEqual([]);
  });

  it('echoes the Origin with credentials and Vary: Origin, and answers preflights with 204', async () => {
    const r = rudderApp();
    const res = await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=a1`, { origin: 'https://amp.example' });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://amp.example');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toBe('Origin');
    const pre = await r.request('/pixel/v1/track', { method: 'OPTIONS', headers: { origin: 'https://amp.example', 'access-control-request-method': 'GET' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-max-age')).toBe('900');
  });

  it('answers as rs/cors does a preflight without an Origin or for a method other than GET, POST and HEAD, and a request with one: Vary alone', async () => {
    const r = rudderApp();
    const VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
    const corsOf = (res: Response) => [res.status, res.headers.get('vary'), res.headers.get('access-control-allow-origin'), res.headers.get('access-control-allow-credentials')];
    const preflight = (path: string, headers: Record<string, string>) => r.request(path, { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST', ...headers } });
    expect(corsOf(await preflight('/v1/track', {}))).toEqual([204, VARY, null, null]);
    expect(corsOf(await preflight('/v1/track', { origin: 'https://shop.example', 'access-control-request-method': 'PUT' }))).toEqual([204, VARY, null, null]);
    expect(corsOf(await preflight('/v1/track', { origin: 'https://shop.example', 'access-control-request-method': 'post' }))).toEqual([204, VARY, null, null]);
    expect(corsOf(await preflight('/v1/track', { origin: 'https://shop.example' }))).toEqual([204, VARY, 'https://shop.example', 'true']);
    const put = await r.request('/v1/track', { method: 'PUT', headers: { origin: 'https://shop.example' } });
    expect(corsOf(put)).toEqual([405, 'Origin', null, null]);
  });

  it('stores the message as upstream builds it, server fields added, with a fixed clock', async () => {
    const r = rudderApp();
    await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=a1&random=random&messageId=m-1`, { 'x-forwarded-for': '8.8.8.8' });
    const [e] = await r.stored();
    expect(JSON.stringify(e!.payload)).toBe(
      `{"channel":"web","integrations":{"All":true},"originalTimestamp":"${T}","sentAt":"${T}","anonymousId":"a1","random":"random","messageId":"m-1","type":"page",` +
        `"rudderId":"${(e!.payload as Record<string, string>).rudderId}","receivedAt":"2026-01-02T03:04:05.600Z","request_ip":"8.8.8.0"}`,
    );
    expect(e).toMatchObject({ source: 'rudder', type: 'page', websiteId: WEBSITE_ID, anonymousId: 'a1', visitorId: 'a1', country: 'US', timestamp: '2026-01-02T03:04:05.600Z' });
  });

  it('keeps the whole client address only with --keep-ip', async () => {
    const r = rudderApp(['--keep-ip']);
    await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=a1`, { 'x-forwarded-for': '8.8.8.8' });
    expect(((await r.stored())[0]!.payload as Record<string, string>).request_ip).toBe('8.8.8.8');
  });

  it('truncates a request_ip or context.ip given in the query or an HTTP API body unless --keep-ip', async () => {
    for (const [args, want] of [[[], '10.20.30.0'], [['--keep-ip'], '10.20.30.40']] as const) {
      const r = rudderApp([...args]);
      await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=a1&request_ip=10.20.30.40&context.ip=10.20.30.40`);
      expect((await r.api('track', { anonymousId: 'a2', event: 'e', request_ip: '10.20.30.40', context: { ip: '10.20.30.40' } })).status).toBe(200);
      const payloads = (await r.stored()).map((e) => e.payload as { request_ip: string; context: { ip: string } });
      expect(payloads.map((p) => [p.request_ip, p.context.ip])).toEqual([[want, want], [want, want]]);
    }
  });

  it('does not store a hit whose ids are only invisible characters, as upstream sanitises them', async () => {
    const r = rudderApp();
    await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=%E2%80%8B&userId=%EF%BB%BF%09`);
    expect((await r.api('identify', { anonymousId: '\u200b' })).status).toBe(400);
    expect(await r.stored()).toEqual([]);
  });

  it('files a hit whose anonymousId is blank under its userId, as the gateway does, not under one shared blank visitor', async () => {
    const r = rudderApp();
    await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=&userId=u1`);
    await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=%20&userId=u2`);
    await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=a3&userId=u3`);
    expect((await r.stored()).map((e) => e.visitorId)).toEqual(['u1', 'u2', 'a3']);
  });

  it('reads the write key as the gateway does once it put it in a Basic auth header: up to its first colon', async () => {
    const r = rudderApp();
    await expectGif(await r.pixel('page', `writeKey=${WRITE_KEY}:junk&anonymousId=c1`));
    await expectGif(await r.pixel('page', `writeKey=:${WRITE_KEY}&anonymousId=c2`));
    expect((await r.stored()).map((e) => e.anonymousId)).toEqual(['c1']);
  });

  it('reads the browser with its client hints, as Prisme and Umami pixel hits are read, and not with another client\'s', async () => {
    const r = rudderApp();
    const chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const hints = { 'user-agent': chrome, 'sec-ch-ua': '"Brave";v="131", "Chromium";v="131", "Not_A Brand";v="24"', 'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"15.0.0"' };
    await expectGif(await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=h1`, hints));
    // An SDK's own context.userAgent names another client: the request's hints are not its.
    await expectGif(await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=h2&context.userAgent=${encodeURIComponent(chrome.replace('131.0.0.0', '130.0.0.0'))}`, hints));
    const res = await r.api('batch', { batch: [{ type: 'track', event: 'x', anonymousId: 'h3' }, { type: 'track', event: 'y', anonymousId: 'h4', context: { userAgent: chrome } }] }, hints);
    expect(res.status).toBe(200);
    expect((await r.stored()).map((e) => [e.anonymousId, e.browser, e.os, e.osVersion])).toEqual([
      ['h1', 'Brave', 'Windows', '11'], ['h2', 'Chrome', 'Windows', '10'], ['h3', 'Brave', 'Windows', '11'], ['h4', 'Brave', 'Windows', '11'],
    ]);
  });

  it('stores the JavaScript SDK\'s $direct referrer as none (domain direct), an empty UTM value as none, and no user-info in URL columns', async () => {
    const r = rudderApp();
    await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=d1&properties.referrer=%24direct&properties.url=${encodeURIComponent('https://shop.example/?utm_source=x&utm_medium=&utm_campaign=')}`);
    await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=d2&properties.referrer=${encodeURIComponent('https://user:pw@evil.example/a')}&properties.url=${encodeURIComponent('https://me:secret@shop.example/b')}`);
    const [a, b] = await r.stored();
    expect(a).toMatchObject({ referrer: null, referrerDomain: 'direct', utmSource: 'x', utmMedium: null, utmCampaign: null });
    expect(b).toMatchObject({ referrer: 'https://evil.example/a', referrerDomain: 'evil.example', url: 'https://shop.example/b' });
    expect((b!.payload as { properties: { referrer: string } }).properties.referrer).toBe('https://user:pw@evil.example/a');
  });

  it('stores nothing from a query of more than 10,000 parameters, which Go will not read at all; 10,000 are read', async () => {
    const r = rudderApp();
    const query = (parts: number) => `writeKey=${WRITE_KEY}&anonymousId=p${parts}` + '&'.repeat(parts - 2);
    await expectGif(await r.pixel('page', query(10_001)));
    await expectGif(await r.pixel('page', query(10_000)));
    expect((await r.stored()).map((e) => e.anonymousId)).toEqual(['p10000']);
  });

  it('computes rudderId as upstream (identified_user_id / anonymousId_1)', async () => {
    const r = rudderApp();
    await r.pixel('track', `writeKey=${WRITE_KEY}&userId=identified_user_id&anonymousId=anonymousId_1&event=x`);
    expect(((await r.stored())[0]!.payload as Record<string, string>).rudderId).toBe('e4cab80e-2f0e-4fa2-87e0-3a4af182634c');
  });

  it('lifts page, name, properties and the SDK user agent into the canonical columns', async () => {
    const r = rudderApp();
    const q = new URLSearchParams({
      writeKey: WRITE_KEY, anonymousId: '"quoted"', name: '', 'context.page.url': 'https://shop.example/p/1?utm_source=amp&utm_campaign=nov',
      'context.page.path': '/p/1', 'context.page.referrer': 'https://news.example/x', 'context.userAgent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'properties.price': '9.99',
    });
    await r.pixel('page', q.toString(), { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' });
    const [e] = await r.stored();
    expect(e).toMatchObject({
      name: 'Unknown Page', anonymousId: 'quoted', url: 'https://shop.example/p/1?utm_source=amp&utm_campaign=nov', hostname: 'shop.example', path: '/p/1',
      referrer: 'https://news.example/x', referrerDomain: 'news.example', utmSource: 'amp', utmCampaign: 'nov', properties: { price: '9.99' }, os: 'iOS', device: 'mobile',
    });
  });

  it('still answers the GIF when the write buffer is full, counting the drop', async () => {
    const r = rudderApp(['--buffer-max', '1', '--flush-size', '1']);
    r.buffer.submit((await import('../helpers/events.ts')).makeEvent(0));
    await expectGif(await r.pixel('page', `writeKey=${WRITE_KEY}&anonymousId=a1`));
    expect(r.deps.drops.get('buffer-full')).toBe(1);
  });

  it('answers the GIF but holds no more than --buffer-max-mb of long queries, storing every hit it took once written', async () => {
    const r = rudderApp(['--buffer-max-mb', '16', '--flush-size', '100000', '--buffer-max', '100000']);
    const query = (i: number) => `writeKey=${WRITE_KEY}&anonymousId=a${i}&properties.pad=${'p'.repeat(400_000)}`;
    for (let i = 0; i < 50; i++) await expectGif(await r.pixel('track', query(i)));
    // ~400 KB each: 41 fit in 16 MiB, the other 9 are answered and counted, not held.
    expect(r.deps.drops.get('buffer-full')).toBe(9);
    expect(r.buffer.snapshot().bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    const stored = await r.stored();
    expect(stored.length).toBe(41);
    expect(stored.map((e) => e.anonymousId)).toEqual(Array.from({ length: 41 }, (_, i) => `a${i}`));
    await expectGif(await r.pixel('track', query(99)));
    expect(r.deps.drops.get('buffer-full')).toBe(9);
  });
});

describe('the query → message mapping, one row of upstream.md §1.2 at a time, on the stored payload', () => {
  const rows: [string, Record<string, unknown>][] = [
    ['context.page.url=https%3A%2F%2Fx.y%2Fz%3Fq%3D1', { context: { page: { url: 'https://x.y/z?q=1' } } }],
    ['context.screen.width=1024', { context: { screen: { width: '1024' } } }],
    ['properties.items.0=x&properties.items.1=y', { properties: { items: ['x', 'y'] } }],
    ['properties.items.2=x', { properties: { items: [null, null, 'x'] } }],
    ['properties.list.-1=x', { properties: { list: ['x'] } }],
    ['properties.:0=x', { properties: { '0': 'x' } }],
    ['properties.a%5C.b=x', { properties: { 'a.b': 'x' } }],
    ['properties.a*b=x&properties.c%3Fd=x&properties.e|f=x&properties.g%23h=x&properties.i@j=x&properties.ok=1', { properties: { ok: '1' } }],
    ['=v&properties.ok=1', { properties: { ok: '1' } }],
    ['.=v', { '': ['v'] }],
    ['a..b=v', { a: [{ b: 'v' }] }],
    ['channel=server&integrations.All=false&sentAt=X&originalTimestamp=Y', { channel: 'server', integrations: { All: 'false' }, sentAt: 'X', originalTimestamp: 'Y' }],
    ['type=identify', { type: 'track' }],
    // request_ip as given wins, truncated: no raw IP at rest (decisions.md); --keep-ip keeps it whole (below)
    ['messageId=m1&receivedAt=R&request_ip=1.2.3.4', { messageId: 'm1', receivedAt: 'R', request_ip: '1.2.3.0' }],
    ['properties.price=9.99&properties.ok=true&properties.n=null', { properties: { price: '9.99', ok: 'true', n: 'null' } }],
    ['properties.a=first&properties.a=second', { properties: { a: 'first' } }],
  ];
  for (const [query, expected] of rows) {
    it(`maps ${query}`, async () => {
      const r = rudderApp();
      await r.pixel('track', `writeKey=${WRITE_KEY}&anonymousId=a1&event=e&${query}`);
      const [e] = await r.stored();
      expect(e!.payload).toMatchObject(expected);
    });
  }
});
