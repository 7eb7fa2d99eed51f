/** @module OpenAPI descriptions of the Prisme routes (documented by hand: their errors are empty bodies, not JSON). */
import type { OpenAPIV3 } from 'openapi-types';

const header = (name: string, description: string, required = false): OpenAPIV3.ParameterObject => ({ name, in: 'header', required, description, schema: { type: 'string' } });
const query = (name: string, description: string, required = false): OpenAPIV3.ParameterObject => ({ name, in: 'query', required, description, schema: { type: 'string' } });
const nameParam: OpenAPIV3.ParameterObject = { name: 'name', in: 'path', required: true, description: 'Event name (one path segment), stored as received', schema: { type: 'string' } };

/** Origin, Referer and User-Agent are set by a browser itself: a page's script (this one's "Try it out") cannot choose them. */
const SET_BY_BROWSER = ' A browser sets it itself: "Try it out" here sends this page\'s own, not the value typed (use the curl command shown).';
const ORIGIN = header('Origin', 'Origin of the page; must be registered (a website domain or --origins). Noscript: taken from Referer when absent.' + SET_BY_BROWSER);
const PAGE = [
  header('X-Prisme-Referrer', 'URL of the page (wins over Referer)'),
  header('Referer', 'URL of the page when X-Prisme-Referrer is absent.' + SET_BY_BROWSER),
];
/**
 * What every Prisme operation's description ends with: "Try it out" from this page is sent from
 * this server's own origin, which is rarely registered, so it gets 400 `origin not registered`.
 */
const TRY_IT_OUT =
  ' "Try it out" on this page is sent by the browser with this page\'s Origin, Referer and User-Agent, whatever is typed for them: ' +
  'it gets 400 (`origin not registered`) unless this server\'s own origin is registered. The curl command shown sends the values typed.';
const PREFLIGHT = ' A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) on this path answers 204, before the rate limiter.';
const empty = (description: string) => ({ description });
const gif = (description: string): OpenAPIV3.ResponseObject => ({ description, content: { 'image/gif': { schema: { type: 'string', format: 'binary' } } } });

const COMMON_ERRORS = {
  400: empty('Invalid input (text that is not UTF-8 included), unregistered origin, bot or no session; empty body, reason in X-Footfall-Reason'),
  405: empty('Wrong method (answered after CORS, limiter and origin checks)'),
  413: empty('Body over 4 MiB'),
  429: { description: 'Rate limited (token bucket per client address); Retry-After says when', content: { 'text/plain': { schema: { type: 'string' as const, example: 'Too Many Requests' } } } },
};
const JS_RESPONSES = { 200: empty('Stored (or a reload that stores nothing)'), ...COMMON_ERRORS, 503: empty('Write buffer full, or (--ack durable) the event not committed within 10–11 s, the database taking no writes (not acknowledged; it stays queued and may still be stored, so a retry may add a copy); Retry-After: 1') };
const GIF_RESPONSES = { 200: gif('The 35-byte Prisme GIF'), ...COMMON_ERRORS, 400: gif('Invalid input (a query that is not UTF-8 included) or no session: the GIF with status 400. An unregistered origin (or none, and no Referer) gets 400 with an empty body, as Prisme\'s origin check answers before the handler') };

const tags = ['Prisme'];
type Detail = { summary: string; description?: string; tags: string[]; parameters: OpenAPIV3.ParameterObject[]; requestBody?: OpenAPIV3.RequestBodyObject; responses: OpenAPIV3.ResponsesObject };

export const prismeDocs: Record<'pageview' | 'custom' | 'fileDownload' | 'outboundLink' | 'noscriptPageview' | 'noscriptCustom' | 'noscriptOutbound', Detail> = {
  pageview: {
    summary: 'Record a pageview',
    description: 'Starts or continues the visitor\'s session (cookieless: device id from UA + address + host). A reload of a page a session is already on stores nothing.' + PREFLIGHT + TRY_IT_OUT,
    tags,
    parameters: [ORIGIN, ...PAGE,
      header('X-Prisme-Document-Referrer', 'URL the visitor came from; empty = direct'),
      header('X-Prisme-Visitor-Id', 'Your own visitor id (never personal data), at most 256 characters (400 beyond); empty = automatic prisme_… id'),
      header('X-Prisme-Status', 'HTTP status of the page, 0–65535 (default 200)'),
      header('User-Agent', 'Browser user agent.' + SET_BY_BROWSER)],
    responses: JS_RESPONSES,
  },
  custom: {
    summary: 'Record a custom event',
    description:
      'Joins the session on its page (waiting up to --events-timeout for a concurrent pageview). Body: a JSON object whose top-level members become the properties, ' +
      'read as Prisme reads it once the session is found: a name repeated within an object is refused (400), and nothing after the closing brace is read. ' +
      'With a body, Content-Type must be exactly application/json (400 otherwise).' + PREFLIGHT + TRY_IT_OUT,
    tags,
    parameters: [nameParam, ORIGIN, ...PAGE],
    requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', additionalProperties: true, example: { plan: 'pro', amount: 42 } } } } },
    responses: JS_RESPONSES,
  },
  fileDownload: {
    summary: 'Record a file download',
    description: 'Body: the absolute URL of the file. `<a ping>` mode: body `PING` with Ping-From / Ping-To headers.' + PREFLIGHT + TRY_IT_OUT,
    tags,
    parameters: [ORIGIN, ...PAGE, header('Ping-From', 'Ping mode: page URL'), header('Ping-To', 'Ping mode: file URL')],
    requestBody: { required: true, content: { 'text/plain': { schema: { type: 'string', example: 'https://www.example.com/report.pdf' } } } },
    responses: JS_RESPONSES,
  },
  outboundLink: {
    summary: 'Record an outbound link click',
    description: 'Body: the absolute URL of the link (another host than the page). `<a ping>` mode: body `PING` with Ping-From / Ping-To.' + PREFLIGHT + TRY_IT_OUT,
    tags,
    parameters: [ORIGIN, ...PAGE, header('Ping-From', 'Ping mode: page URL'), header('Ping-To', 'Ping mode: link URL')],
    requestBody: { required: true, content: { 'text/plain': { schema: { type: 'string', example: 'https://other.example/' } } } },
    responses: JS_RESPONSES,
  },
  noscriptPageview: {
    summary: 'Record a pageview from an <img> (no JavaScript)',
    description: TRY_IT_OUT.trimStart(),
    tags,
    parameters: [query('referrer', 'Page URL (else X-Prisme-Referrer, else Referer)'), query('document-referrer', 'URL the visitor came from'),
      query('status', 'HTTP status of the page'), query('visitor-id', 'Your own visitor id, at most 256 characters (400 beyond)'), ORIGIN, header('Referer', 'Page URL; its origin stands in for a missing Origin')],
    responses: GIF_RESPONSES,
  },
  noscriptCustom: {
    summary: 'Record a custom event from an <img> (no JavaScript)',
    description: 'Every `prop-<name>` query parameter is a property; its value must be JSON (`prop-name="John"`, `prop-n=1`). A name given twice keeps its first value.' + TRY_IT_OUT,
    tags,
    parameters: [nameParam, query('referrer', 'Page URL (else X-Prisme-Referrer, else Referer)'), ORIGIN],
    responses: GIF_RESPONSES,
  },
  noscriptOutbound: {
    summary: 'Record an outbound click and redirect to it (no JavaScript)',
    description: TRY_IT_OUT.trimStart(),
    tags,
    parameters: [query('url', 'Absolute outbound URL', true), query('referrer', 'Page URL (else X-Prisme-Referrer, else Referer)'), ORIGIN],
    responses: { 302: empty('Recorded; Location is the normalised URL'), ...COMMON_ERRORS, 400: empty('Invalid input, internal link or no session (no redirect)') },
  },
};
