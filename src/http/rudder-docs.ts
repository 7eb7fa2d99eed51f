/** @module OpenAPI descriptions of the RudderStack routes (documented by hand: upstream answers plain text and GIFs). */
import { t } from 'elysia';
import type { OpenAPIV3 } from 'openapi-types';

const q = (name: string, description: string, required = false): OpenAPIV3.ParameterObject => ({ name, in: 'query', required, description, schema: { type: 'string' } });
const plain = (description: string, example: string): OpenAPIV3.ResponseObject => ({ description, content: { 'text/plain': { schema: { type: 'string', example } } } });

const off = t.Object({ enabled: t.Literal(false) });
/** The body of GET /sourceConfig (rudder-source-config.ts). */
export const SourceConfigBody = t.Object({
  source: t.Object({
    id: t.String({ format: 'uuid', description: 'The website id' }),
    name: t.String({ description: 'The website name' }),
    writeKey: t.String(),
    enabled: t.Literal(true),
    workspaceId: t.String({ format: 'uuid', description: 'The website id again (one source per workspace)' }),
    config: t.Object({ statsCollection: t.Object({ errors: off, metrics: off }) }),
    destinations: t.Array(t.Never(), { maxItems: 0, description: 'None: Footfall is the destination' }),
  }),
});

/** The 400s of the HTTP API, as a batch and as a single call meet them. */
function badRequest(batch: boolean): OpenAPIV3.ResponseObject {
  return plain(
    'The first problem found: `invalid json` (not JSON, or nested over 10,000 levels); ' +
      (batch
        ? '`empty batch payload` (batch missing, null or empty; any other non-array value is a batch of one); ' +
          '`event is not a valid rudder event` (a message that is not an object or has no known `type`); '
        : '`event is not a valid rudder event` (an array as the body; a string, number or null body is read as an empty message, as rudder-server does, and so lacks an id); ') +
      '`request neither has anonymousId nor userId`. Nothing of the request is stored.',
    'invalid json',
  );
}

export const rudderDocs = {
  pixel(type: 'page' | 'track') {
    return {
      summary: type === 'page' ? 'RudderStack pixel: page call' : 'RudderStack pixel: track call',
      description:
        'Every query parameter becomes part of the message (dotted keys nest, numeric parts make arrays, values stay strings): ' +
        '`properties.plan=pro` is the property `plan`, `context.page.url=…` the page URL, `context.traits.email=…` a trait. ' +
        'Always answers 200 with the 43-byte GIF, whatever happens: a missing or unknown write key, a missing id' +
        (type === 'track' ? ' or an empty `event`' : '') + ' only means nothing is stored (counted by reason). ' +
        'A hit sent from this page\'s "Try it out" with a known write key is not stored either (counted as `docs-try-out`).',
      tags: ['RudderStack'],
      parameters: [
        q('writeKey', "A website's write key", true),
        q('anonymousId', 'Anonymous id (one pair of surrounding quotes is removed)'),
        q('userId', 'User id'),
        ...(type === 'track' ? [q('event', 'Event name (empty: not stored; left out: stored without a name, as rudder-server does)')] : [q('name', 'Page name (empty: "Unknown Page")')]),
        q('context.page.url', 'Page URL'),
      ],
      responses: {
        200: { description: 'The 43-byte GIF, always', content: { 'image/gif': { schema: { type: 'string', format: 'binary' } } } },
        405: { description: 'Any method but GET; Allow: GET' },
      } as OpenAPIV3.ResponsesObject,
    };
  },
  api(type: string) {
    const batch = type === 'batch';
    return {
      summary: batch ? 'RudderStack HTTP API: a batch of calls' : `RudderStack HTTP API: ${type} call`,
      description:
        'Basic auth with the write key as user name and an empty password. JSON body (gzip-encoded accepted). ' +
        (batch ? 'Every message needs a `type`; the batch is stored whole or not at all.' : `The message's type is set to \`${type}\`.`),
      tags: ['RudderStack'],
      security: [{ writeKey: [] }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { type: 'object' as const, additionalProperties: true },
            example: batch
              ? { batch: [{ type: 'track', anonymousId: 'a1', event: 'Signed Up', properties: { plan: 'pro' } }] }
              : { anonymousId: 'a1', userId: 'u1', ...(type === 'track' ? { event: 'Signed Up' } : {}), properties: {} },
          },
        },
      },
      responses: {
        200: plain('Stored', 'OK'),
        400: badRequest(batch),
        401: plain('No or unknown write key', 'invalid write key'),
        413: plain('Body over 4000 KB (before or after gunzip)', 'request size exceeds max limit'),
        503: plain('Write buffer full (service unavailable: write buffer full), or (--ack durable) not committed within 10–11 s, the database taking no writes (service unavailable: not stored in time; not acknowledged, it stays queued and may still be stored, so a retry may add a copy), or the bodies being read at once fill their pool (service unavailable: too many bodies being read); Retry-After: 1', 'service unavailable: write buffer full'),
      } as OpenAPIV3.ResponsesObject,
    };
  },
  beacon() {
    return {
      summary: 'RudderStack beacon: a batch sent with navigator.sendBeacon',
      description:
        'What the JavaScript SDK posts with `useBeacon: true` (and on page unload): `sendBeacon` cannot set headers, so the write key ' +
        'comes from the query. The body (sent as `text/plain`) is then handled exactly as `POST /v1/batch`.',
      tags: ['RudderStack'],
      parameters: [q('writeKey', "A website's write key", true)],
      requestBody: {
        required: true,
        content: { 'text/plain': { schema: { type: 'string' as const }, example: JSON.stringify({ batch: [{ type: 'page', anonymousId: 'a1', name: 'Home' }] }) } },
      },
      responses: {
        200: plain('Stored', 'OK'),
        400: badRequest(true),
        401: plain('No write key in the query, or an unknown one', 'failed to read writekey from query params'),
        413: plain('Body over 4000 KB (before or after gunzip)', 'request size exceeds max limit'),
        503: plain('Write buffer full (service unavailable: write buffer full), or (--ack durable) not committed within 10–11 s, the database taking no writes (service unavailable: not stored in time; not acknowledged, it stays queued and may still be stored, so a retry may add a copy), or the bodies being read at once fill their pool (service unavailable: too many bodies being read); Retry-After: 1', 'service unavailable: write buffer full'),
      } as OpenAPIV3.ResponsesObject,
    };
  },
  sourceConfig() {
    return {
      summary: 'RudderStack source configuration for the JavaScript SDK',
      description:
        'The control-plane call the JavaScript SDK (v3) makes on `load()` when `configUrl` is this server: ' +
        '`GET /sourceConfig/?p=…&v=…&build=…&writeKey=…` with the write key also as Basic auth user name. ' +
        "Answers the website as an enabled source with no destinations (Footfall is the destination) and the SDK's " +
        'error and metrics reporting off. Not cached: a rotated write key stops loading at once.',
      tags: ['RudderStack'],
      security: [{ writeKey: [] }],
      parameters: [
        q('writeKey', "A website's write key (used when there is no Basic auth header)"),
        q('p', 'SDK module type (ignored)'),
        q('v', 'SDK version (ignored)'),
        q('build', 'SDK build: modern or legacy (ignored)'),
      ],
      responses: {
        200: {
          description: 'The source',
          content: {
            'application/json': {
              schema: SourceConfigBody as OpenAPIV3.SchemaObject,
              example: {
                source: {
                  id: '6f3b0e0c-3c1e-4b8e-9f0a-0a1b2c3d4e5f', name: 'Blog', writeKey: 'wk_…', enabled: true,
                  workspaceId: '6f3b0e0c-3c1e-4b8e-9f0a-0a1b2c3d4e5f',
                  config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
                  destinations: [],
                },
              },
            },
          },
        },
        401: plain('No write key in the Basic auth header nor in the query', 'failed to read writekey from header'),
        404: plain('No website has this write key', 'source not found'),
      } as OpenAPIV3.ResponsesObject,
    };
  },
};
