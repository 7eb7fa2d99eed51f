/** @module The OpenAPI document (via @elysiajs/swagger) and a Swagger UI page whose assets come from the binary, never a CDN. */
import { Elysia } from 'elysia';
import { swagger } from '@elysiajs/swagger';
import { TRY_IT_OUT_HEADER } from './docs-try-out.ts';
import { tidyOpenApi } from './openapi-document.ts';
// `with { type: 'file' }` makes `bun build --compile` embed these files; at run time they are paths.
import bundleJs from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import presetJs from 'swagger-ui-dist/swagger-ui-standalone-preset.js' with { type: 'file' };
import uiCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };
import favicon from 'swagger-ui-dist/favicon-32x32.png' with { type: 'file' };

const ASSETS: Record<string, { path: string; type: string }> = {
  'swagger-ui-bundle.js': { path: bundleJs, type: 'text/javascript; charset=utf-8' },
  'swagger-ui-standalone-preset.js': { path: presetJs, type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { path: uiCss, type: 'text/css; charset=utf-8' },
  'favicon.png': { path: favicon, type: 'image/png' },
};

// validatorUrl: null — otherwise Swagger UI fetches a badge from validator.swagger.io.
// The interceptor marks what "Try it out" sends: a pixel tried here is not an open (docs-try-out.ts).
const INIT_JS = `window.ui = SwaggerUIBundle({
  url: '/docs/json',
  requestInterceptor: (req) => { req.headers['${TRY_IT_OUT_HEADER}'] = '1'; return req; },
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: 'StandaloneLayout'
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Footfall API</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/assets/swagger-init.js"></script>
</body>
</html>
`;

const HIDDEN = { hide: true } as const;

export function docsRoutes(version: string) {
  const plugin = swagger({
    path: '/docs',
    specPath: '/docs/json',
    provider: 'swagger-ui',
    exclude: ['/docs', '/docs/json', /^\/docs\/assets\//],
    // Its default drops every path with a dot in it, and /static/wa.js is a documented route.
    excludeStaticFile: false,
    documentation: {
      // The generator says 3.0.3, but its schemas are JSON Schema 2020-12 (numeric
      // exclusiveMinimum, `examples` arrays, `type: 'null'`, `const`): they are 3.1's.
      openapi: '3.1.0',
      info: {
        title: 'Footfall',
        version,
        description:
          'Self-hosted web analytics collector. Prisme events API, RudderStack pixel and HTTP API, ' +
          'Umami pixels, and an Umami-shaped management API. Management routes need ' +
          '`Authorization: Bearer <login token or footfall_ API key>` (a login token only on the account routes, /api/users, /api/auth, ' +
          '/api/me/password and /api/me/api-keys, as Umami). A request whose line and headers pass 512 KiB is answered 431, ' +
          'empty, before any route (the GIF endpoints included).',
        license: { name: 'AGPL-3.0-or-later', url: 'https://www.gnu.org/licenses/agpl-3.0.html' },
      },
      tags: [
        { name: 'Health', description: 'Liveness' },
        { name: 'Prisme', description: 'Prisme Analytics events API (JavaScript and noscript)' },
        { name: 'RudderStack', description: 'RudderStack pixel endpoints and HTTP API' },
        { name: 'Pixels', description: 'Umami pixels: management and public hits' },
        { name: 'Auth', description: 'Login, tokens and API keys' },
        { name: 'Users', description: 'User accounts (admin)' },
        { name: 'Teams', description: 'Teams and members' },
        { name: 'Websites', description: 'Websites and write keys' },
        { name: 'Export', description: 'Canonical event export' },
      ],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Login token or footfall_ API key' },
          writeKey: { type: 'http', scheme: 'basic', description: 'RudderStack write key as user name, empty password' },
        },
      },
    },
  });
  // The generator's own handler, called by ours, which tidies what it builds (openapi-document.ts).
  const generate = plugin.routes.find((r) => r.path === '/docs/json' && r.method === 'GET')?.handler as (() => Record<string, unknown>) | undefined;
  if (!generate) throw new Error('@elysiajs/swagger no longer serves /docs/json');
  let documentText: string | null = null;
  return (
    new Elysia({ name: 'docs' })
      .use(plugin)
      // Registered after the plugin, so these replace its CDN-loading page and its raw document.
      // Built once, at the first request (every route is registered by then): building it takes
      // ~20 ms of the request thread, and anyone may ask for it, as often as they like.
      .get('/docs/json', () => new Response((documentText ??= JSON.stringify(tidyOpenApi(generate()))), { headers: { 'content-type': 'application/json;charset=utf-8' } }), { detail: HIDDEN })
      .get('/docs', () => new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } }), { detail: HIDDEN })
      .get('/docs/assets/swagger-init.js', () => new Response(INIT_JS, { headers: { 'content-type': 'text/javascript; charset=utf-8' } }), { detail: HIDDEN })
      .get(
        '/docs/assets/:file',
        ({ params, set }) => {
          // Own keys only: `constructor` or `toString` would find Object.prototype's (a 500).
          const a = Object.hasOwn(ASSETS, params.file) ? ASSETS[params.file] : undefined;
          if (!a) {
            set.status = 404;
            return 'Not found';
          }
          return new Response(Bun.file(a.path), { headers: { 'content-type': a.type, 'cache-control': 'public, max-age=86400' } });
        },
        { detail: HIDDEN },
      )
  );
}
