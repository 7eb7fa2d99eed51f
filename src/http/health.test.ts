import { describe, expect, it } from 'bun:test';
import { testApp } from '../../test/helpers/test-app.ts';

describe('health routes', () => {
  it('answers the Prisme healthcheck with 200 and an empty body for any method and sub-path', async () => {
    const { request } = testApp();
    for (const [method, path] of [['GET', '/api/v1/healthcheck'], ['POST', '/api/v1/healthcheck'], ['DELETE', '/api/v1/healthcheck/deep/path'], ['PUT', '/api/v1/healthcheck']]) {
      const res = await request(path!, { method });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
      expect(res.headers.get('x-prisme-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('answers the Umami heartbeat with {"ok":true} and the /api headers of every Umami answer', async () => {
    const { request } = testApp();
    const res = await request('/api/heartbeat');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect([res.headers.get('access-control-allow-origin'), res.headers.get('cache-control')]).toEqual(['*', 'no-cache']);
  });

  it('answers an unknown route with an Umami-shaped 404', async () => {
    const { request } = testApp();
    const res = await request('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { message: 'Not found', code: 'not-found', status: 404 } });
  });
});
