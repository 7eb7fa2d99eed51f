/** @module Writes the wrk Lua script for a realistic Umami pixel mix: a few slugs, Zipf UAs, 100k+ forwarded addresses, UTM on most hits. */
import { writeFileSync } from 'node:fs';
import { luaPool, luaPrelude, luaString } from './lua-prelude.ts';

/**
 * Newsletter opens mostly: `utm_*` on 70 % of hits, a Referer (webmail) on 20 %, the rest bare.
 * Mail image proxies (Gmail's `GoogleImageProxy`) are ordinary UAs here: upstream stores them.
 */
export function writePixelLua(path: string, opts: { slugs: string[]; uaCount?: number; seed?: number }): void {
  const refs = ['https://mail.google.com/', 'https://outlook.live.com/', 'https://app.fastmail.com/', 'https://mail.proton.me/'];
  const campaigns = ['nov', 'dec', 'launch', 'weekly-42'];
  writeFileSync(path, `${luaPrelude(opts.uaCount, opts.seed)}
local slugs = {${opts.slugs.map(luaString).join(',')}}
local refs = {${refs.map(luaString).join(',')}}
local campaigns = {${campaigns.map(luaString).join(',')}}
local function make_request()
  local path = "/p/" .. pick(slugs)
  local r = rnd()
  if r < 0.7 then path = path .. "?utm_source=newsletter&utm_medium=email&utm_campaign=" .. pick(campaigns) end
  local headers = {}
  headers["User-Agent"] = zipf_ua()
  headers["X-Forwarded-For"] = client_ip()
  if r > 0.8 then headers["Referer"] = pick(refs) end
  return wrk.format("GET", path, headers, nil)
end
${luaPool(100000)}`);
}
