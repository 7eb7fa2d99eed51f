import { describe, expect, it } from 'bun:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020';
import { testApp } from './helpers/test-app.ts';

/** Routes deliberately left out of the OpenAPI document, each with its reason. */
const HIDDEN = new Set([
  'GET /docs', // the Swagger UI page itself
  'GET /docs/json', // the document itself
  'GET /docs/assets/swagger-init.js',
  'GET /docs/assets/:file',
  'ALL /api/v1/healthcheck/*', // wildcard twin of /api/v1/healthcheck, described there
  'ALL /api/v1/events/*', // Prisme's chain + 405/404 for other methods and paths, documented on each route
  'ALL /api/v1/noscript/events/*',
  'ALL /pixel/v1/*', // CORS preflight + 405 (Allow: GET) for the pixel paths, documented on each route
  'ALL /v1/*', // CORS preflight + 405 for the HTTP API paths
  'ALL /beacon/v1/*', // CORS preflight + 405 for the beacon path
  'ALL /sourceConfig', // CORS preflight + 405 (Allow: GET) for the SDK's source configuration
  'GET /api/teams/join', // 405 (Allow: POST): /api/teams/:teamId would take it otherwise
  'DELETE /api/teams/join',
]);

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

describe('the OpenAPI document', () => {
  it('documents every registered route with a summary, a tag and its error responses', async () => {
    const { app, request } = testApp();
    const doc = (await (await request('/docs/json')).json()) as { paths: Record<string, Record<string, { summary?: string; tags?: string[]; responses?: Record<string, unknown>; 'x-footfall-never-fails'?: boolean }>> };
    const problems: string[] = [];
    let checked = 0;
    for (const route of app.routes) {
      const id = `${route.method} ${route.path}`;
      if (HIDDEN.has(id)) continue;
      const path = route.path.replace(/:(\w+)/g, '{$1}');
      const ops = doc.paths[path];
      const methods = route.method === 'ALL' ? METHODS : [route.method.toLowerCase()];
      for (const m of methods) {
        const op = ops?.[m];
        checked++;
        if (!op) {
          problems.push(`${id}: missing from the document`);
          continue;
        }
        if (!op.summary) problems.push(`${id}: no summary`);
        if (!op.tags?.length) problems.push(`${id}: no tag`);
        const errors = Object.keys(op.responses ?? {}).filter((s) => Number(s) >= 400);
        if (!errors.length && !op['x-footfall-never-fails']) problems.push(`${id}: no documented error response`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(2);
  });

  it('is a valid OpenAPI 3.1 document by the official schema', async () => {
    const { request } = testApp();
    const doc = (await (await request('/docs/json')).json()) as Record<string, unknown>;
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    const errors = Array.isArray(result.errors) ? result.errors.map((e) => `${e.instancePath} ${e.message}`) : [];
    expect(errors.slice(0, 10)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("holds only JSON Schema 2020-12 schemas, OpenAPI 3.1's (the official schema above does not look inside them): a tuple is prefixItems", async () => {
    const { request } = testApp();
    const doc = (await (await request('/docs/json')).json()) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const problems: string[] = [];
    /** Every `schema` in the document, where OpenAPI puts them (parameters, bodies, answers, headers). */
    const visit = (node: unknown, at: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${at}/${i}`));
      if (node === null || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (k === 'schema' && v !== null && typeof v === 'object' && !ajv.validateSchema(v)) problems.push(`${at}/schema ${ajv.errorsText(ajv.errors)}`);
        else visit(v, `${at}/${k}`);
      }
    };
    visit(doc.paths, '#/paths');
    expect(problems).toEqual([]);
    const teams = (doc.paths as Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: Record<string, unknown> }> }> }>>)['/api/teams']!.post!;
    const tuple = teams.responses['200']!.content['application/json']!.schema;
    expect([Array.isArray(tuple.prefixItems) && tuple.prefixItems.length, tuple.items]).toEqual([2, false]);
  });

  it('lists JSON answers as application/json only, and every response with a description', async () => {
    const { request } = testApp();
    const doc = (await (await request('/docs/json')).json()) as { paths: Record<string, Record<string, { responses: Record<string, { description?: string; content?: Record<string, unknown> }> }>> };
    const pixels = doc.paths['/api/pixels']!.get!.responses;
    expect(Object.keys(pixels['200']!.content!)).toEqual(['application/json']);
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item))
        for (const [status, r] of Object.entries(op.responses ?? {})) expect(`${method} ${path} ${status}: ${r.description ? 'described' : 'no description'}`).toEndWith('described');
  });

  it('refuses no unknown key in a request body, as the server drops them (Umami strips them too), even once the routes have run', async () => {
    const { request } = testApp();
    // Elysia marks a body schema `additionalProperties: false` when it first compiles the route's
    // validator, so the document (built once, at its first request) depended on what ran before.
    for (const path of ['/api/pixels', '/api/websites', '/api/auth/login', '/api/users', '/api/teams']) await request(path, { method: 'POST', body: '{"unknown":1}' });
    const doc = (await (await request('/docs/json')).json()) as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    const bodies = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).filter(([, op]) => op.requestBody).map(([method, op]) => [`${method} ${path}`, JSON.stringify(op.requestBody)] as const));
    expect(bodies.length).toBeGreaterThan(10);
    for (const [route, body] of bodies) expect([route, body.includes('"additionalProperties":false')]).toEqual([route, false]);
  });

  it('types integers as integers everywhere, never as "a numeric string or an integer" (an error\'s status, the metrics\' counters)', async () => {
    const { request } = testApp();
    const text = await (await request('/docs/json')).text();
    expect(text).not.toContain('"format":"integer"');
    expect(text).not.toContain('"format":"numeric"');
    const doc = JSON.parse(text) as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, { properties?: Record<string, unknown> }> } }> }> }>> };
    const unauthorized = doc.paths['/api/metrics']!.get!.responses['401']!.content!['application/json']!.schema;
    expect(unauthorized.properties!.error!.properties!.status).toEqual({ type: 'integer' });
    const metrics = doc.paths['/api/metrics']!.get!.responses['200']!.content!['application/json']!.schema as { properties: Record<string, { properties: Record<string, unknown> }> };
    expect(metrics.properties.drops!.properties.bot).toEqual({ minimum: 0, type: 'integer' });
    // …and a query integer keeps its type with its bounds, default and description.
    const page = (JSON.parse(text) as { paths: Record<string, Record<string, { parameters: { name: string; schema: Record<string, unknown> }[] }>> }).paths['/api/teams']!.get!.parameters.find((p) => p.name === 'page')!;
    expect(page.schema).toMatchObject({ type: 'integer', exclusiveMinimum: 0, default: 1, description: '1-based page number' });
  });

  type Op = { parameters?: { name: string; in: string; example?: unknown }[]; responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, unknown> }> };
  const operations = async () => {
    const { request } = testApp();
    const doc = (await (await request('/docs/json')).json()) as { paths: Record<string, Record<string, Op>> };
    return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ id: `${method} ${path}`, path, method, op })));
  };

  it('declares Retry-After on every 429 and 503, as each of them is sent', async () => {
    const ops = await operations();
    const limited = ops.flatMap(({ id, op }) => ['429', '503'].filter((s) => op.responses[s]).map((s) => [`${id} ${s}`, Boolean(op.responses[s]!.headers?.['Retry-After'])] as const));
    expect(limited.length).toBeGreaterThan(20);
    expect(limited.filter(([, declared]) => !declared)).toEqual([]);
  });

  it('documents 405 on every operation of a path that does not take every method, and none on the any-method healthcheck', async () => {
    const ops = await operations();
    expect(ops.filter(({ path, op }) => path !== '/api/v1/healthcheck' && !op.responses['405']).map(({ id }) => id)).toEqual([]);
    expect(ops.filter(({ path, op }) => path === '/api/v1/healthcheck' && op.responses['405']).map(({ id }) => id)).toEqual([]);
    // A POST is never answered as a preflight.
    expect(ops.filter(({ method, op }) => method === 'post' && op.responses['204']).map(({ id }) => id)).toEqual([]);
  });

  it('is answered as it says: 405 with Allow to each method a documented path does not take (Prisme paths aside: their 405 follows the origin check, tested with them)', async () => {
    const { request } = testApp();
    const doc = (await (await request('/docs/json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const problems: string[] = [];
    let tried = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      if (path.startsWith('/api/v1/')) continue;
      const concrete = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'slug' ? 'abcdefgh' : '0d1b2c3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d'));
      for (const method of ['get', 'post', 'put', 'delete', 'patch']) {
        if (item[method]) continue;
        tried++;
        const res = await request(concrete, { method: method.toUpperCase() });
        if (res.status !== 405 || !res.headers.get('allow')) problems.push(`${method} ${path}: ${res.status}, Allow ${res.headers.get('allow')}`);
      }
    }
    expect(tried).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });

  it("adds the database-busy 503 to the routes answering Umami's JSON 401 only, not to RudderStack's source configuration", async () => {
    const ops = await operations();
    const busy = (id: string) => ops.find((o) => o.id === id)!.op.responses['503'];
    expect(busy('get /api/websites')?.content).toHaveProperty(['application/json']);
    expect(busy('get /sourceConfig')).toBeUndefined();
  });

  it('names no placeholder as a parameter, and pre-fills no export bounds that would make "Try it out" export nothing', async () => {
    const ops = await operations();
    const names = ops.flatMap(({ op }) => (op.parameters ?? []).map((p) => p.name));
    expect(names.length).toBeGreaterThan(50);
    expect(names.filter((n) => /[<>]/.test(n))).toEqual([]);
    // OpenAPI ignores a header parameter named Content-Type: a body's type is its media type.
    expect(ops.flatMap(({ id, op }) => (op.parameters ?? []).filter((p) => p.in === 'header' && /^content-type$/i.test(p.name)).map(() => id))).toEqual([]);
    const exportParams = ops.find((o) => o.id === 'get /api/websites/{websiteId}/export')!.op.parameters!;
    expect(exportParams.filter((p) => ['startAt', 'endAt'].includes(p.name)).map((p) => [p.name, p.example])).toEqual([['startAt', undefined], ['endAt', undefined]]);
  });

  it('builds the document once: anyone may ask for it, and each build took ~20 ms of the request thread', async () => {
    const { request } = testApp();
    let started = performance.now();
    const first = await (await request('/docs/json')).text();
    const build = performance.now() - started;
    started = performance.now();
    for (let i = 0; i < 100; i++) expect(await (await request('/docs/json')).text()).toBe(first);
    // 100 builds take ~100× one; 100 answers of the built text, a small part of one build each.
    expect(performance.now() - started).toBeLessThan(build * 10);
  });

  it('hides only the routes listed as hidden', () => {
    const { app } = testApp();
    const hidden = app.routes
      .filter((r) => (r.hooks as { detail?: { hide?: boolean } })?.detail?.hide)
      .map((r) => `${r.method} ${r.path}`);
    for (const h of hidden) expect(HIDDEN.has(h)).toBe(true);
  });

  it('serves a Swagger UI page that loads nothing from another origin', async () => {
    const { request } = testApp();
    const html = await (await request('/docs')).text();
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    const bundle = await request('/docs/assets/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(500_000);
    expect((await request('/docs/assets/nope.js')).status).toBe(404);
    // Names an object has by inheritance are no assets either.
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) expect([name, (await request(`/docs/assets/${name}`)).status]).toEqual([name, 404]);
  });
});
