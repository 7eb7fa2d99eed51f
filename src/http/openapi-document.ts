/**
 * @module tidyOpenApi(doc): the document @elysiajs/swagger generates, made a valid OpenAPI 3.1
 * document (checked against the official schema by test/openapi.test.ts). Pure: a new object.
 *
 * What the generator leaves out or gets wrong, and what this does about it:
 * - responses without the required `description` (every plain 200): one from the schema's own
 *   description, else the status' reason phrase; a schema's `examples` copied onto the response
 *   (no such field there) moves to its JSON media type as `example`;
 * - JSON answers and bodies also listed as `multipart/form-data` and `text/plain`, which no
 *   route reads or writes: only `application/json` is kept where it is one of them;
 * - parameters with a JSON-Schema `examples` array where OpenAPI wants a map of Example
 *   Objects: the first becomes the parameter's `example`;
 * - request bodies marked `additionalProperties: false`, where the server drops unknown keys
 *   (as Umami does) instead of refusing them: the mark goes;
 * - integers shown as `anyOf: [numeric string, integer]` (Elysia's coercion, with a
 *   contradictory default of 0), in parameters and in every body and answer schema (an error's
 *   `status`, the metrics' counters): the integer schema alone, as clients send and get it.
 *
 * And what the routes' own schemas cannot say:
 * - one answer every management route may give (app.ts): 503 with Retry-After when another
 *   process holds the database's write lock past the request thread's wait (or, for a route with
 *   a body, when the bodies being read at once fill their pool). It is added to each operation
 *   that answers Umami's JSON 401 (the routes that read or write accounts), with that error's
 *   schema; not to RudderStack's /sourceConfig, whose plain-text 401 has no database write behind it;
 * - the Retry-After header every 429 and 503 carries, on each;
 * - 405 with Allow for a method a path does not take, on each operation of a path that does not
 *   take every method (Prisme's healthcheck does).
 */

type Json = Record<string, unknown>;

const REASON: Record<string, string> = {
  200: 'OK', 204: 'No content', 302: 'Found', 400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not found', 405: 'Method not allowed', 413: 'Payload too large', 429: 'Too many requests', 503: 'Service unavailable',
};
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const RETRY_AFTER = { schema: { type: 'integer', minimum: 0 }, description: 'Seconds to wait before trying again' };
const OTHER_METHOD = { description: 'A method this path does not take: empty body, `Allow` lists those it takes' };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function tidyOpenApi(source: Json): Json {
  const doc = structuredClone(source);
  doc.openapi = '3.1.0';
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue;
    const anyMethod = METHODS.every((m) => isObject(item[m]));
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      if (Array.isArray(op.parameters)) for (const p of op.parameters) if (isObject(p)) tidyParameter(p);
      if (isObject(op.requestBody)) {
        jsonOnly(op.requestBody);
        op.requestBody = unknownKeysDropped(op.requestBody);
      }
      if (isObject(op.responses)) {
        for (const [status, r] of Object.entries(op.responses)) if (isObject(r)) tidyResponse(status, r);
        const unauthorized = op.responses['401'];
        if (isObject(unauthorized) && isObject(unauthorized.content) && 'application/json' in unauthorized.content && op.responses['503'] === undefined)
          op.responses['503'] = databaseBusy(unauthorized, op.requestBody !== undefined);
        for (const status of ['429', '503']) {
          const r = op.responses[status];
          if (isObject(r) && !(isObject(r.headers) && r.headers['Retry-After'])) r.headers = { ...(isObject(r.headers) ? r.headers : {}), 'Retry-After': RETRY_AFTER };
        }
        if (!anyMethod && op.responses['405'] === undefined) op.responses['405'] = OTHER_METHOD;
      }
    }
  }
  doc.paths = tuplesAsPrefixItems(integersOnly(paths));
  if (isObject(doc.components)) doc.components = tuplesAsPrefixItems(integersOnly(doc.components));
  return doc;
}

function tidyParameter(p: Json): void {
  if (Array.isArray(p.examples)) {
    if (p.examples.length && p.example === undefined) p.example = p.examples[0];
    delete p.examples;
  }
  if (isObject(p.schema)) p.schema = withoutNumericString(p.schema);
}

/** `anyOf: [{type: 'string', format: 'integer'|'numeric'}, X]` → X (with the outer description kept). */
function withoutNumericString(s: Json): Json {
  if (!Array.isArray(s.anyOf)) return s;
  const others = s.anyOf.filter((b) => !(isObject(b) && b.type === 'string' && (b.format === 'integer' || b.format === 'numeric')));
  if (others.length !== 1 || others.length === s.anyOf.length || !isObject(others[0])) return s;
  // The kept branch's own keys win; the outer schema adds what it alone has (a description),
  // not its keys that are present but undefined (Elysia leaves `type: undefined` there).
  const merged: Json = {};
  for (const [k, v] of Object.entries(s)) if (k !== 'anyOf' && v !== undefined) merged[k] = v;
  return { ...merged, ...others[0] };
}

/**
 * A request body's schemas without `additionalProperties: false`: the server drops a body's
 * unknown keys, as Umami does (zod strips them), and a client or proxy generated from the
 * document would otherwise refuse requests the server takes.
 */
function unknownKeysDropped<T>(node: T): T {
  if (Array.isArray(node)) return node.map(unknownKeysDropped) as T;
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) if (!(k === 'additionalProperties' && v === false)) out[k] = unknownKeysDropped(v);
  return out as T;
}

/** withoutNumericString() everywhere below `node`. */
function integersOnly<T>(node: T): T {
  if (Array.isArray(node)) return node.map(integersOnly) as T;
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = integersOnly(v);
  return withoutNumericString(out) as T;
}

/**
 * TypeBox writes a tuple (`[team, membership]`, as Umami's POST /api/teams answers) as draft-07
 * does, `items: [A, B]` (the generator drops its `additionalItems` and lengths); OpenAPI 3.1's
 * JSON Schema (2020-12) takes no array there, and validators refuse the document. The same
 * tuple, of exactly those items, in 2020-12 words.
 */
function tuplesAsPrefixItems<T>(node: T): T {
  if (Array.isArray(node)) return node.map(tuplesAsPrefixItems) as T;
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = tuplesAsPrefixItems(v);
  if (Array.isArray(out.items)) {
    out.prefixItems = out.items;
    out.minItems = out.maxItems = out.items.length;
    out.items = false;
    delete out.additionalItems;
  }
  return out as T;
}

const RESPONSE_KEYS = new Set(['description', 'headers', 'content', 'links']);

function tidyResponse(status: string, r: Json): void {
  jsonOnly(r);
  // The generator copies a schema's own keys (its `examples`) onto the response, where OpenAPI
  // allows none: an example moves to the JSON media type, anything else goes.
  const media = isObject(r.content) && isObject(r.content['application/json']) ? r.content['application/json'] : null;
  if (media && Array.isArray(r.examples) && r.examples.length && media.example === undefined) media.example = r.examples[0];
  for (const key of Object.keys(r)) if (!RESPONSE_KEYS.has(key) && !key.startsWith('x-')) delete r[key];
  if (typeof r.description === 'string' && r.description !== '') return;
  const schemaDescription = media && isObject(media.schema) && typeof media.schema.description === 'string' ? media.schema.description : null;
  r.description = schemaDescription ?? REASON[status] ?? 'Response';
}

function databaseBusy(unauthorized: Json, withBody: boolean): Json {
  const bodies = withBody ? '; or the request bodies being read at once hold all the room they may (slow uploads): try again shortly' : '';
  return {
    description:
      `The database is busy: another process (a sqlite3 shell, a backup tool) holds its write lock (Retry-After: 1), or it cannot be written just now ` +
      `(a full disk, a failing one: Retry-After: 30); nothing was written${bodies}`,
    headers: { 'Retry-After': RETRY_AFTER },
    ...(isObject(unauthorized.content) ? { content: structuredClone(unauthorized.content) } : {}),
  };
}

/** Keeps only `application/json` in a content map that lists it with the generator's form and text twins. */
function jsonOnly(holder: Json): void {
  const content = holder.content;
  if (!isObject(content) || !('application/json' in content)) return;
  for (const type of ['multipart/form-data', 'text/plain', 'application/x-www-form-urlencoded']) delete content[type];
}
