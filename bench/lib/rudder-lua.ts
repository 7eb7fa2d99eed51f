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
