/** @module wrk Lua scripts for RudderStack: AMP-style pixel hits (Zipf UAs, 100k+ addresses) and /v1/batch posts of N messages. */
import { writeFileSync } from 'node:fs';
import { luaPool, luaPrelude, luaString } from './lua-prelude.ts';

export function writeRudderPixelLua(path: string, opts: { writeKey: string; site: string; seed?: number }): void {
  const events = ['Email Opened', 'Product Viewed', 'Add to Cart', 'Checkout Started', 'Newsletter Signup'];
  const paths = Array.from({ length: 40 }, (_, i) => `/amp/story-${i}`);
  writeFileSync(path, `${luaPrelude(4000, opts.seed)}
local events = {${events.map(luaString).join(',')}}
local paths = {${paths.map(luaString).join(',')}}
local site = ${luaString(opts.site)}
local key = ${luaString(opts.writeKey)}
local counter = 0
local function enc(s) return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end)) end
local function make_request()
  counter = counter + 1
  local p = pick(paths)
  local ua = zipf_ua()
  local q = "writeKey=" .. key .. "&anonymousId=anon-" .. math.floor(rnd() * 200000) ..
    "&context.library.name=RudderstackAMPSDK&context.library.version=1.0.0&context.platform=AMP" ..
    "&context.locale=en-US&context.userAgent=" .. enc(ua) ..
    "&context.page.path=" .. enc(p) .. "&context.page.url=" .. enc(site .. p .. "?utm_source=amp") ..
    "&context.page.referrer=" .. enc("https://www.google.com/") .. "&context.page.title=Story" ..
    "&context.screen.width=1280&context.screen.height=720&properties.price=" .. math.floor(rnd() * 100)
  local target
  if rnd() < 0.5 then
    target = "/pixel/v1/track?" .. q .. "&event=" .. enc(pick(events))
  else
    target = "/pixel/v1/page?" .. q .. "&name=Story"
  end
  local headers = {}
  headers["User-Agent"] = ua
  headers["X-Forwarded-For"] = client_ip()
  return wrk.format("GET", target, headers, nil)
end
${luaPool(60000)}`);
}

/**
 * Single `/v1/track` calls as the browser SDK sends one (~1 KB with its context), each with one of
 * 1,000 anonymous ids (the server adds messageId, receivedAt and the rest).
 */
export function writeRudderTrackLua(path: string, opts: { writeKey: string }): void {
  const message = (id: string) => JSON.stringify({
    type: 'track', event: 'Order Completed', anonymousId: id, channel: 'web', sentAt: '2026-11-27T12:00:00.000Z', originalTimestamp: '2026-11-27T12:00:00.000Z',
    properties: { order_id: '50314b8e9bcf000000000000', revenue: 42.5, currency: 'EUR', products: [{ sku: 'SKU-1', price: 19.9, quantity: 2 }] },
    context: {
      library: { name: 'RudderLabs JavaScript SDK', version: '3.11.0' }, locale: 'en-US', timezone: 'GMT+0100', screen: { width: 1920, height: 1080, density: 1 },
      page: { path: '/checkout', url: 'https://shop.example/checkout?step=3', referrer: 'https://shop.example/cart', title: 'Checkout', tab_url: 'https://shop.example/checkout?step=3' },
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      campaign: { source: 'newsletter', medium: 'email', name: 'nov' }, sessionId: 1764244800000,
    },
  });
  const bodies = Array.from({ length: 1000 }, (_, i) => luaString(message(`anon-${i}`)));
  writeFileSync(path, `local bodies = {${bodies.join(',')}}
local i = 0
local headers = {}
headers["Content-Type"] = "application/json"
headers["Authorization"] = ${luaString('Basic ' + btoa(`${opts.writeKey}:`))}
local function make_request()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/track", headers, bodies[i])
end
${luaPool(bodies.length)}`);
}

/** Every request posts the same batch of `size` track messages (the server adds the ids). */
export function writeRudderBatchLua(path: string, opts: { writeKey: string; size: number }): void {
  const batch = Array.from({ length: opts.size }, (_, i) => ({
    type: i % 5 === 0 ? 'page' : 'track', anonymousId: `anon-${i}`, event: `Event ${i % 7}`, name: 'Home',
    properties: { i, plan: 'pro', price: 9.99 }, context: { library: { name: 'bench' }, page: { url: `https://shop.example/p/${i % 30}` } },
  }));
  const body = JSON.stringify({ batch, sentAt: new Date(0).toISOString() });
  writeFileSync(path, `wrk.method = "POST"
wrk.body = ${luaString(body)}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = ${luaString('Basic ' + btoa(`${opts.writeKey}:`))}
wrk.headers["X-Forwarded-For"] = "23.1.2.3"
`);
}
