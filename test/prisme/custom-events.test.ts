import { describe, expect, it } from 'bun:test';
import { SITE, WINDOWS_CHROME, prismeApp, randomIp } from '../helpers/prisme.ts';

const json = { 'content-type': 'application/json' };

describe('POST /api/v1/events/custom/:name', () => {
  it('answers 405 to GET', async () => {
    const p = prismeApp();
    expect((await p.get('/api/v1/events/custom/clicks', p.browser(randomIp()))).status).toBe(405);
  });

  it('answers 400 to an invalid referrer, a bad origin, text/plain and a missing session', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    expect((await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': 'nope', ...json }), '{}')).status).toBe(400);
    expect((await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, origin: 'https://example.com', ...json }), '{}')).status).toBe(400);
    expect((await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, 'content-type': 'text/plain' }), '{}')).status).toBe(400);
    expect((await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, 'content-type': 'application/json; charset=utf-8' }), '{}')).status).toBe(400);
    const none = await p.post('/api/v1/events/custom/x', p.browser(randomIp(), { 'x-prisme-referrer': `${SITE}/`, ...json }), '{}');
    expect(none.status).toBe(400);
    expect(none.headers.get('x-footfall-reason')).toBe('session not found');
    expect(p.deps.drops.get('no-session')).toBe(1);
  });

  it('checks the content type of a chunked body even when it turns out empty, and takes an empty body declared by length 0 without one', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    const chunked = (headers: Record<string, string>) =>
      p.request('/api/v1/events/custom/chunked', { method: 'POST', headers: p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...headers }), body: new ReadableStream({ start: (c) => c.close() }), duplex: 'half' } as RequestInit);
    const untyped = await chunked({});
    expect([untyped.status, untyped.headers.get('x-footfall-reason')]).toEqual([400, 'content type must be application/json']);
    expect((await chunked({ 'content-type': 'text/plain' })).status).toBe(400);
    expect((await chunked(json)).status).toBe(200);
    expect((await p.post('/api/v1/events/custom/empty', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, 'content-length': '0' }))).status).toBe(200);
    expect((await p.stored()).filter((e) => e.type === 'custom').map((e) => [e.name, e.properties])).toEqual([['chunked', {}], ['empty', {}]]);
  });

  for (const body of ['{"a":', 'not json', '1.23', '"a string"', 'true', 'null', 'false', '[1]', '["foo",1,2,true]']) {
    it(`answers 400 to the body ${body}`, async () => {
      const p = prismeApp();
      const ip = randomIp();
      await p.pageview(ip, `${SITE}/`);
      expect((await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), body)).status).toBe(400);
    });
  }

  it('reads the body only once the page and the session are found, as Prisme master: a bad referrer is named before a malformed body, which waits for its pageview', async () => {
    const p = prismeApp(['--events-timeout', '2s']);
    const ip = randomIp();
    const badPage = await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': 'nope', ...json }), '{');
    expect([badPage.status, badPage.headers.get('x-footfall-reason')]).toEqual([400, 'invalid "Referer" or "X-Prisme-Referrer"']);
    // Sent before its pageview, a malformed body waits for the session like any other event.
    const early = p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), '{"a":');
    await p.untilWaiting();
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(200);
    const answer = await early;
    expect([answer.status, answer.headers.get('x-footfall-reason')]).toEqual([400, 'malformed JSON body']);
    // A body with no session at all is answered as one: the session is what is missing.
    const none = await p.post('/api/v1/events/custom/x', p.browser(randomIp(), { 'x-prisme-referrer': `${SITE}/`, ...json }), 'not json');
    expect([none.status, none.headers.get('x-footfall-reason')]).toEqual([400, 'session not found']);
    // The content type is checked first of all.
    const typed = await p.post('/api/v1/events/custom/x', p.browser(randomIp(), { 'x-prisme-referrer': 'nope', 'content-type': 'text/plain' }), '{}');
    expect([typed.status, typed.headers.get('x-footfall-reason')]).toEqual([400, 'content type must be application/json']);
  });

  it('reads the object the body starts with and not what follows its closing brace, as Go\'s jsontext decoder', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    for (const body of ['{"plan":"pro"}garbage', ' \n{"plan":"pro"} {"plan":"free"}', '{"plan":"pro"}\u0000']) {
      const res = await p.post('/api/v1/events/custom/signup', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 200]);
    }
    expect((await p.stored()).slice(1).map((e) => e.properties)).toEqual([{ plan: 'pro' }, { plan: 'pro' }, { plan: 'pro' }]);
  });

  it('answers 400 to a body whose objects repeat a name, at any depth (jsontext refuses duplicate names)', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    for (const body of ['{"a":1,"a":2}', '{"a":1,"\\u0061":2}', '{"o":{"x":[{"k":1,"k":1}]}}']) {
      const res = await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), body);
      expect([body, res.status, res.headers.get('x-footfall-reason')]).toEqual([body, 400, 'duplicate name in a JSON object']);
    }
    // The same name in two objects, or as a value, is no repeat.
    expect((await p.post('/api/v1/events/custom/ok', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), '{"a":"a","o":{"a":1},"l":[{"a":1},{"a":2}]}')).status).toBe(200);
    expect((await p.stored()).map((e) => e.name)).toEqual([null, 'ok']);
  });

  it('answers 400 to a body holding an unpaired surrogate escape, in a key or a value at any depth (jsontext refuses them); noscript props and pairs pass', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    for (const body of [String.raw`{"x":"\ud800"}`, String.raw`{"k\udc00":1}`, String.raw`{"o":[{"deep":"a\udbffb"}]}`, String.raw`{"x":"\ude00\ud83d"}`]) {
      const res = await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), body);
      expect([body, res.status, res.headers.get('x-footfall-reason')]).toEqual([body, 400, 'unpaired surrogate escape in a JSON string']);
    }
    expect((await p.post('/api/v1/events/custom/pair', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), String.raw`{"x":"\ud83d\ude00","y":"\\ud800"}`)).status).toBe(200);
    expect((await p.get(`/api/v1/noscript/events/custom/lone?prop-x=${encodeURIComponent(String.raw`"\ud800"`)}`, p.browser(ip, { referer: `${SITE}/` }))).status).toBe(200);
    expect((await p.stored()).map((e) => [e.name, e.properties])).toEqual([[null, null], ['pair', { x: '😀', y: '\\ud800' }], ['lone', { x: '\ud800' }]]);
  });

  it('answers 400 to a body nested deeper than 10,000 levels, and stores the events around it', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    const nested = (d: number) => `{"a":${'['.repeat(d)}${']'.repeat(d)}}`;
    const deep = await p.post('/api/v1/events/custom/deep', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), nested(100_000));
    expect(deep.status).toBe(400);
    expect(deep.headers.get('x-footfall-reason')).toBe('JSON nested too deeply');
    const noscript = await p.get(`/api/v1/noscript/events/custom/deep?prop-a=${nested(20_000).slice(5, -1)}`, p.browser(ip, { referer: `${SITE}/` }));
    expect(noscript.status).toBe(400);
    expect(noscript.headers.get('x-footfall-reason')).toBe('property a is nested too deeply');
    expect((await p.post('/api/v1/events/custom/ok', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), nested(9_999))).status).toBe(200);
    expect((await p.stored()).map((e) => e.name)).toEqual([null, 'ok']);
  });

  it('answers 400 to a body that is not UTF-8 and 413 to one over 4 MiB', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    const bad = await p.request('/api/v1/events/custom/x', { method: 'POST', headers: p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) });
    expect(bad.status).toBe(400);
    const big = await p.post('/api/v1/events/custom/x', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), `{"a":"${'x'.repeat(4 * 1024 * 1024)}"}`);
    expect(big.status).toBe(413);
  });

  it('joins the session of a pageview sent at the same time', async () => {
    const p = prismeApp(['--events-timeout', '2s']);
    const ip = randomIp();
    // Sent first, the event waits for its session; the pageview lands once it does.
    const custom = p.post('/api/v1/events/custom/signup', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), '{"plan":"pro"}');
    await p.untilWaiting();
    const [ev, pv] = await Promise.all([custom, p.pageview(ip, `${SITE}/`)]);
    expect([ev.status, pv.status]).toEqual([200, 200]);
    const [a, b] = await p.stored();
    expect(a!.type).toBe('pageview');
    expect(b).toMatchObject({ type: 'custom', name: 'signup', sessionId: a!.sessionId, properties: { plan: 'pro' } });
  });

  it('holds no more than 32 MiB of events waiting for their pageview: beyond it an event gets 400 at once, and the others still join', async () => {
    const p = prismeApp(['--events-timeout', '10s']);
    const ip = randomIp();
    const body = `{"a":"${'x'.repeat(3.9 * 1024 * 1024)}"}`;
    const send = () => p.post('/api/v1/events/custom/upload', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), body);
    const waiting = Array.from({ length: 8 }, send);
    await p.untilWaiting(8);
    const refused = await send();
    expect(refused.status).toBe(400);
    expect(refused.headers.get('x-footfall-reason')).toBe('session not found');
    expect((await p.pageview(ip, `${SITE}/`)).status).toBe(200);
    expect((await Promise.all(waiting)).map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(p.deps.prisme.sessions.stats()).toMatchObject({ waiters: 0, waiterBytes: 0 });
    expect((await p.stored()).filter((e) => e.type === 'custom').length).toBe(8);
  });

  it('stores properties with their JSON types; no body means no properties', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    const props = { str: 'foo', num: 1.5, int: 42, yes: true, no: false, nil: null, obj: { a: [1, 'b'] }, arr: [1, 2] };
    expect((await p.post('/api/v1/events/custom/mixed', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), JSON.stringify(props))).status).toBe(200);
    expect((await p.post('/api/v1/events/custom/empty', p.browser(ip, { 'x-prisme-referrer': `${SITE}/` }))).status).toBe(200);
    expect((await p.post('/api/v1/events/custom/braces', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), '{}')).status).toBe(200);
    const [, mixed, empty, braces] = await p.stored();
    expect(mixed!.properties).toEqual(props);
    expect(empty!.properties).toEqual({});
    expect(braces!.properties).toEqual({});
  });

  it('stores property numbers as they were sent, even those a double cannot hold, and reads back deep bodies that hold them', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    const body = '{ "big": 1e400, "id": 12345678901234567890, "price": 1.50, "uuid": "0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0001" }';
    expect((await p.post('/api/v1/events/custom/exact', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), body)).status).toBe(200);
    // 6,000 levels (the depth limit is 10,000), a number that needs its text at the bottom.
    const deep = `{"uuid":"4e3a-9e3","deep":${'['.repeat(6000)}1e400${']'.repeat(6000)}}`;
    expect((await p.post('/api/v1/events/custom/deep', p.browser(ip, { 'x-prisme-referrer': `${SITE}/`, ...json }), deep)).status).toBe(200);
    await p.buffer.flush();
    const raw = async (format: string) => (await p.request(`/api/websites/${p.website.id}/export?format=${format}`, { headers: { authorization: p.adminAuth } })).text();
    const ndjson = (await raw('ndjson')).trimEnd().split('\n');
    expect(ndjson[1]).toContain('"properties":{"big":1e400,"id":12345678901234567890,"price":1.50,"uuid":"0b9d3c52-7a57-4a0e-9f1e-2d2b6f1c0001"}');
    expect(ndjson[2]).toContain(`"properties":${deep}`);
    const csv = await raw('csv');
    expect(csv).toContain('"{""big"":1e400,""id"":12345678901234567890,""price"":1.50,');
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(4);
  });

  it('finds the page from Referer, without a trailing slash, with the client of the session', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, SITE);
    expect((await p.post('/api/v1/events/custom/foo', p.browser(ip, { referer: SITE, ...json }), '{"foo":"bar"}')).status).toBe(200);
    const [, e] = await p.stored();
    expect(e).toMatchObject({ path: '/', browser: 'Chrome', os: 'Windows', properties: { foo: 'bar' } });
    expect(WINDOWS_CHROME).toContain('Windows');
  });
});

describe('POST /api/v1/events/file-downloads and /outbound-links', () => {
  for (const kind of ['file-downloads', 'outbound-links'] as const) {
    const path = `/api/v1/events/${kind}`;
    it(`${kind}: answers 405 to GET and 400 to bad input`, async () => {
      const p = prismeApp();
      const ip = randomIp();
      await p.pageview(ip, `${SITE}/bar`);
      expect((await p.get(path, p.browser(ip))).status).toBe(405);
      expect((await p.post(path, p.browser(ip, { 'x-prisme-referrer': 'nope' }), 'https://other.example/file.pdf')).status).toBe(400);
      expect((await p.post(path, p.browser(ip, { 'x-prisme-referrer': `${SITE}/bar`, origin: 'https://example.com' }), 'https://other.example/f')).status).toBe(400);
      expect((await p.post(path, p.browser(ip, { 'x-prisme-referrer': `${SITE}/bar` }), '/foo/bar/baz')).status).toBe(400);
      expect((await p.post(path, p.browser(ip, { 'x-prisme-referrer': `${SITE}/bar` }), '')).status).toBe(400);
      // The body is the URL as it is, as Prisme parses it: a line break is a control byte, no URL.
      expect((await p.post(path, p.browser(ip, { 'x-prisme-referrer': `${SITE}/bar` }), ' https://other.example/file.pdf\n')).status).toBe(400);
      expect((await p.post(path, p.browser(randomIp(), { 'x-prisme-referrer': `${SITE}/bar` }), 'https://other.example/f')).status).toBe(400);
      expect((await p.post(path, p.browser(ip, { 'ping-from': '/relative/url', 'ping-to': 'https://other.example/f' }), 'PING')).status).toBe(400);
      expect((await p.post(path, p.browser(ip, { 'ping-from': `${SITE}/bar`, 'ping-to': '' }), 'PING')).status).toBe(400);
      // Session on /bar, ping from /foo: neither /foo nor / has a session.
      expect((await p.post(path, p.browser(ip, { 'ping-from': `${SITE}/foo`, 'ping-to': 'https://other.example/f' }), 'PING')).status).toBe(400);
      expect(await p.stored()).toHaveLength(1);
    });

    it(`${kind}: stores a click with its target, and a ping on the site root's session`, async () => {
      const p = prismeApp();
      const ip = randomIp();
      await p.pageview(ip, `${SITE}/`);
      expect((await p.post(path, p.browser(ip, { 'x-prisme-referrer': `${SITE}/` }), 'https://anotherwebsite.localhost/file.pdf')).status).toBe(200);
      expect((await p.post(path, p.browser(ip, { 'ping-from': `${SITE}/foo`, 'ping-to': 'https://anotherwebsite.localhost/' }), 'PING')).status).toBe(200);
      const [, click, ping] = await p.stored();
      expect(click).toMatchObject({ type: kind === 'file-downloads' ? 'file-download' : 'outbound-link', target: 'https://anotherwebsite.localhost/file.pdf', path: '/' });
      expect(ping).toMatchObject({ target: 'https://anotherwebsite.localhost/', path: '/' });
    });
  }

  it('allows a same-host file download but refuses a same-host outbound link as internal', async () => {
    const p = prismeApp();
    const ip = randomIp();
    await p.pageview(ip, `${SITE}/`);
    expect((await p.post('/api/v1/events/file-downloads', p.browser(ip, { 'x-prisme-referrer': `${SITE}/` }), `${SITE}/movie.mp4`)).status).toBe(200);
    const internal = await p.post('/api/v1/events/outbound-links', p.browser(ip, { 'x-prisme-referrer': `${SITE}/` }), `${SITE}/other`);
    expect(internal.status).toBe(400);
    expect(internal.headers.get('x-footfall-reason')).toBe('internal link');
  });
});
