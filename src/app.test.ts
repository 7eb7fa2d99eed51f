import { describe, expect, it } from 'bun:test';
import { WRITE_KEY, rudderApp } from '../test/helpers/rudder.ts';

describe('routing', () => {
  // Elysia by default finds the path after the 11th character of the URL ("http://a.bc"), so
  // behind `Host: app` (a container's name, port 80) it read /api/v1/healthcheck as /v1/healthcheck.
  it('routes a request whose Host is a name of one to three letters as any other', async () => {
    for (const host of ['x', 'app', 'app:80', 'localhost']) {
      const r = rudderApp();
      const at = (path: string, init?: RequestInit) => r.app.handle(new Request(`http://${host}${path}`, init));
      expect([host, (await at('/api/v1/healthcheck')).status]).toEqual([host, 200]);
      expect([host, (await at('/api/heartbeat')).status]).toEqual([host, 200]);
      // A wrong method on a Prisme route is 405 after the gate, not a 404 from the router.
      const wrong = await at('/api/v1/events/pageviews', { method: 'PUT', headers: { origin: 'http://shop.example' } });
      expect([host, wrong.status, wrong.headers.get('x-ratelimit-limit')]).toEqual([host, 405, '60']);
      // A POST to the pixel path is not the HTTP API's /v1/track: 405, and nothing stored.
      const misrouted = await at('/pixel/v1/track', {
        method: 'POST', headers: { authorization: r.auth(WRITE_KEY), 'content-type': 'application/json' }, body: JSON.stringify({ anonymousId: 'a1', event: 'E' }),
      });
      expect([host, misrouted.status, misrouted.headers.get('allow')]).toEqual([host, 405, 'GET']);
      const pixel = await at(`/pixel/v1/track?writeKey=${WRITE_KEY}&anonymousId=a1&event=Opened`);
      expect([host, pixel.status, pixel.headers.get('content-type')]).toEqual([host, 200, 'image/gif']);
      expect((await r.stored()).map((e) => [e.type, e.name, e.hostname])).toEqual([['track', 'Opened', null]]);
    }
  });

  // Bun hands a request without a Host (HTTP/1.0) or with an empty one over as only its path.
  it('answers a request whose URL is only its path as the same request with a host', async () => {
    const r = rudderApp();
    for (const [method, path] of [['GET', '/api/v1/healthcheck/deep'], ['OPTIONS', '/pixel/v1/page'], ['PUT', '/pixel/v1/page'], ['GET', '/pixel/v1/nope'], ['GET', '/v1/nope/deeper'], ['PUT', '/beacon/v1/batch'], ['GET', '/api/nothing']] as const) {
      const headers = { origin: 'https://shop.example', 'access-control-request-method': 'GET' };
      const withHost = await r.app.handle(new Request(`http://localhost${path}`, { method, headers }));
      const bare = await r.app.handle(Object.defineProperty(new Request(`http://localhost${path}`, { method, headers }), 'url', { value: path }));
      expect([method, path, bare.status, bare.headers.get('allow'), await bare.text()]).toEqual([method, path, withHost.status, withHost.headers.get('allow'), await withHost.text()]);
    }
  });
});

describe('the ingestion routes as Elysia compiles them', () => {
  // Elysia gives a route's handler only the work its hooks and handler read; a hook anywhere in the
  // app that touches the query (or cookies) makes it parse that for every route, ingestion's too
  // (a management transform hook once cost each Prisme pageview its query parse: ~8 % fewer req/s).
  it('parses no query, cookie or body for a hit before the handler runs', () => {
    const r = rudderApp();
    const routes = (r.app as unknown as { routes: { method: string; path: string; compile: () => unknown }[] }).routes;
    const ingest = [['POST', '/api/v1/events/pageviews'], ['GET', '/p/:slug'], ['GET', '/pixel/v1/page'], ['GET', '/pixel/v1/track'], ['POST', '/v1/track']] as const;
    for (const [method, path] of ingest) {
      const route = routes.find((x) => x.method === method && x.path === path);
      const code = String(route?.compile());
      expect([method, path, code.includes('handler(c)')]).toEqual([method, path, true]);
      expect([method, path, /parseQuery|c\.cookie|c\.body\s*=/.test(code)]).toEqual([method, path, false]);
    }
  });
});
