/** @module Writes the wrk Lua script for a realistic Prisme pageview mix: Zipf UAs, 100k+ forwarded addresses, paths, referrers, UTM. */
import { writeFileSync } from 'node:fs';
import { luaPool, luaPrelude, luaString } from './lua-prelude.ts';

export function writePrismeLua(path: string, opts: { site: string; origin: string; uaCount?: number; seed?: number }): void {
  const paths = Array.from({ length: 60 }, (_, i) => (i === 0 ? '/' : `/${['blog', 'docs', 'pricing', 'about', 'shop'][i % 5]}/${i}`));
  const refs = ['https://www.google.com/', 'https://news.ycombinator.com/', 'https://t.co/abc', 'https://duckduckgo.com/', 'https://www.reddit.com/r/selfhosted/'];
  writeFileSync(path, `${luaPrelude(opts.uaCount, opts.seed)}
local paths = {${paths.map(luaString).join(',')}}
local refs = {${refs.map(luaString).join(',')}}
local site = ${luaString(opts.site)}
local origin = ${luaString(opts.origin)}
local function make_request()
  local page = pick(paths)
  local r = rnd()
  if r < 0.1 then page = page .. "?utm_source=newsletter&utm_medium=email&utm_campaign=nov" end
  local headers = {}
  headers["Origin"] = origin
  headers["X-Prisme-Referrer"] = site .. page
  headers["User-Agent"] = zipf_ua()
  headers["X-Forwarded-For"] = client_ip()
  if r > 0.6 then
    headers["X-Prisme-Document-Referrer"] = site .. pick(paths)
  elseif r > 0.3 then
    headers["X-Prisme-Document-Referrer"] = pick(refs)
  end
  return wrk.format("POST", "/api/v1/events/pageviews", headers, "")
end
${luaPool(150000)}`);
}
