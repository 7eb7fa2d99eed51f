import { describe, expect, it } from 'bun:test';
import { Value } from '@sinclair/typebox/value';
import { SourceConfigBody } from '../../src/http/rudder-docs.ts';
import { WEBSITE_ID, WRITE_KEY, rudderApp } from '../helpers/rudder.ts';

// The exact request the JavaScript SDK v3 makes on load() with configUrl = Footfall's URL.
const SDK_QUERY = `p=npm&v=3.34.1&build=modern&writeKey=${WRITE_KEY}&lockIntegrationsVersion=true&lockPluginsVersion=true`;

describe('the RudderStack source configuration (for the JavaScript SDK)', () => {
  it("answers a website's write key with the website as an enabled source and no destinations", async () => {
    const r = rudderApp();
    const res = await r.request(`/sourceConfig/?${SDK_QUERY}`, { headers: { authorization: r.auth(), accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.json();
    // The body the document describes (rudder-docs.ts).
    expect([...Value.Errors(SourceConfigBody, body)].map((e) => `${e.path} ${e.message}`)).toEqual([]);
    expect(body).toEqual({
      source: {
        id: WEBSITE_ID,
        name: 'Test site',
        writeKey: WRITE_KEY,
        enabled: true,
        workspaceId: WEBSITE_ID,
        config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
        destinations: [],
      },
    });
  });

  it('takes the write key from the query when there is no Basic auth, with or without the trailing slash', async () => {
    const r = rudderApp();
    for (const path of ['/sourceConfig/', '/sourceConfig']) {
      const res = await r.request(`${path}?writeKey=${WRITE_KEY}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { source: { id: string } }).source.id).toBe(WEBSITE_ID);
    }
  });

  it('answers 401 without any write key and 404 for an unknown one', async () => {
    const r = rudderApp();
    const none = await r.request('/sourceConfig/?p=npm');
    expect(none.status).toBe(401);
    expect(await none.text()).toBe('failed to read writekey from header\n');
    const unknown = await r.request(`/sourceConfig/?${SDK_QUERY}`, { headers: { authorization: r.auth('nope') } });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('source not found\n');
  });

  it('stops answering for a write key as soon as it is rotated away', async () => {
    const r = rudderApp();
    r.meta.websites.setWriteKey(WEBSITE_ID, 'wk_rotated', r.clock());
    expect((await r.request(`/sourceConfig/?writeKey=${WRITE_KEY}`)).status).toBe(404);
    expect((await r.request('/sourceConfig/?writeKey=wk_rotated')).status).toBe(200);
  });

  it('answers CORS as the other RudderStack routes: the origin echoed with credentials, preflight 204', async () => {
    const r = rudderApp();
    const origin = 'https://shop.example';
    const pre = await r.request(`/sourceConfig/?${SDK_QUERY}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-allow-headers')).toBe('authorization');
    const res = await r.request(`/sourceConfig/?${SDK_QUERY}`, { headers: { origin, authorization: r.auth() } });
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    const unknown = await r.request('/sourceConfig/?writeKey=nope', { headers: { origin } });
    expect(unknown.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('answers 405 with Allow: GET to other methods', async () => {
    const r = rudderApp();
    const res = await r.request(`/sourceConfig/?${SDK_QUERY}`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });
});
