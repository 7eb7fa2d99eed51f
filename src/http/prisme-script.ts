/** @module Prisme's tag script at /static/wa.js (and its old name /static/m.js): Footfall's own tracker (prisme-script.js), embedded in the binary and served minified. */
import { Elysia } from 'elysia';
import { CLIENT_HINT_HEADERS } from '../ingest/user-agent.ts';
import { requestId } from './prisme-gate.ts';
// `type: 'text'` embeds the script's source in the binary as a string. TypeScript sees a JavaScript
// file with no exports; Bun's text loader hands over its text.
// @ts-expect-error -- a browser script imported as text
import sourceText from './prisme-script.js' with { type: 'text' };

const source = sourceText as string;

/** A served variant of the script: its bytes and their validator. */
interface Variant {
  body: Uint8Array;
  etag: string;
}

export interface PrismeScript {
  identity: Variant;
  gzip: Variant;
}

/** The script as browsers get it: comments and whitespace gone (Bun's transpiler), plus a gzip copy. */
export function buildPrismeScript(js: string = source): PrismeScript {
  const minified = new Bun.Transpiler({ loader: 'js', minifyWhitespace: true }).transformSync(js);
  const body = new TextEncoder().encode(minified);
  const tag = Bun.hash(body).toString(36);
  return { identity: { body, etag: `"${tag}"` }, gzip: { body: Bun.gzipSync(body, { level: 9 }), etag: `"${tag}-gz"` } };
}

/** Whether an If-None-Match value names this ETag (a list, `*`, or the weak form all count). */
export function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const t = candidate.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

/** Whether an Accept-Encoding value accepts gzip (a `q=0` refuses it). */
export function acceptsGzip(acceptEncoding: string | null): boolean {
  if (!acceptEncoding) return false;
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [coding, ...params] = part.split(';').map((s) => s.trim());
    if (coding !== 'gzip' && coding !== 'x-gzip') continue;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** Asks the browser for the client hints the user-agent parser reads (honoured where the tag is first-party). */
const ACCEPT_CH = CLIENT_HINT_HEADERS.map((h) => h.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()).replace(/^Sec-Ch-Ua/, 'Sec-CH-UA')).join(', ');

const scriptDetail = (name: string) => ({
  summary: name === 'wa.js' ? "Prisme's tag script" : "Prisme's tag script (its old name)",
  description:
    'Footfall\'s own tracker for Prisme tags: `<script defer src="https://footfall.example/static/wa.js"></script>` sends a pageview on load and on ' +
    'every pushState or Back/Forward, outbound-link and file-download clicks, and exposes `prisme.trigger(name, properties)` ' +
    '(and `prisme.pageview()` with `data-manual="true"`). It reads the attributes Prisme\'s tag reads: `data-prisme-url`, `data-domain`, ' +
    '`data-path`, `data-manual`, `data-visitor-id`, `data-status`, `data-outbound-links`, `data-file-downloads`; ' +
    "localStorage `prismeAnalytics.tracking.enable` = `false` turns it off. Cached an hour; gzip when accepted; ETag and 304.",
  tags: ['Prisme'],
  parameters: [
    { name: 'If-None-Match', in: 'header' as const, required: false, description: 'ETag of a copy held: 304 when it is the current one', schema: { type: 'string' as const } },
    { name: 'Accept-Encoding', in: 'header' as const, required: false, description: 'gzip, when accepted, gets the gzip copy', schema: { type: 'string' as const } },
  ],
  responses: {
    200: { description: 'The script', content: { 'text/javascript': { schema: { type: 'string' as const } } } },
    304: { description: 'Not modified (If-None-Match names the current ETag)' },
  },
  'x-footfall-never-fails': true,
});

let built: PrismeScript | undefined;

export function prismeScriptRoutes(requestIdHeader: string | null, script: PrismeScript = (built ??= buildPrismeScript())) {
  const serve = ({ request }: { request: Request }): Response => {
    const h = request.headers;
    const variant = acceptsGzip(h.get('accept-encoding')) ? script.gzip : script.identity;
    const headers = new Headers({
      server: 'prisme',
      'x-prisme-request-id': requestId(h, requestIdHeader),
      'cache-control': 'public, max-age=3600',
      etag: variant.etag,
      vary: 'Accept-Encoding',
      'accept-ch': ACCEPT_CH,
      // A tag with `integrity` needs `crossorigin`, and that a CORS answer.
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff',
    });
    if (etagMatches(h.get('if-none-match'), variant.etag)) return new Response(null, { status: 304, headers });
    headers.set('content-type', 'text/javascript; charset=utf-8');
    if (variant === script.gzip) headers.set('content-encoding', 'gzip');
    // To a HEAD, Bun's server sends these headers and the length alone.
    return new Response(variant.body, { headers });
  };
  return new Elysia({ name: 'prisme-script' })
    .get('/static/wa.js', serve, { parse: 'none', detail: scriptDetail('wa.js') })
    .get('/static/m.js', serve, { parse: 'none', detail: scriptDetail('m.js') });
}
