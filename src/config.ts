/** @module The one config schema: every option with its default, env names and help; argv + env → Config or every problem. */
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { accessSync, constants, statSync } from 'node:fs';
import { parseDuration, formatDuration } from './lib/duration.ts';
import { parseCidr, LOOPBACK_AND_PRIVATE } from './lib/ip.ts';
import { parseOriginEntry } from './ingest/origin-registry.ts';
import { readFlags, type FlagKind } from './lib/argv.ts';

/**
 * A value as an error quotes it: in double quotes, with control characters escaped (JSON's
 * rules), so a value holding an escape sequence or a line break cannot paint the terminal or
 * pass for another line of the list.
 */
export function quoted(text: string): string {
  return JSON.stringify(text);
}

/** How an option's text (from argv or env) becomes a value. */
type Kind = 'string' | 'int' | 'bool' | 'duration' | 'list' | 'enum' | 'rate';

interface OptionMeta {
  flag: string;
  env: string[];
  kind: Kind;
  help: string;
  /** The default as it is written on the command line (for --help and the README). */
  shown: string;
}

function opt<S extends TSchema>(schema: S, meta: OptionMeta): S & { 'x-option': OptionMeta } {
  return Object.assign(schema, { 'x-option': meta });
}

/** Where footfall.db lives unless --data-dir says otherwise (also the user command's default). */
export const DEFAULT_DATA_DIR = './data';

export const RateLimit = T.Union([
  T.Literal('off'),
  T.Object({ capacity: T.Integer({ minimum: 1 }), periodMs: T.Integer({ minimum: 1 }) }),
]);
export type RateLimit = Static<typeof RateLimit>;

export const ConfigSchema = T.Object({
  host: opt(T.String({ default: '0.0.0.0', minLength: 1 }), {
    flag: 'host', env: ['FOOTFALL_HOST'], kind: 'string', shown: '0.0.0.0',
    help: 'Address to listen on.',
  }),
  port: opt(T.Integer({ default: 8000, minimum: 0, maximum: 65535 }), {
    flag: 'port', env: ['FOOTFALL_PORT', 'PRISME_PORT'], kind: 'int', shown: '8000',
    help: 'TCP port to listen on (0 picks a free one).',
  }),
  dataDir: opt(T.String({ default: DEFAULT_DATA_DIR, minLength: 1 }), {
    flag: 'data-dir', env: ['FOOTFALL_DATA_DIR'], kind: 'string', shown: './data',
    help: 'Directory holding footfall.db (SQLite, WAL mode).',
  }),
  trustProxy: opt(T.Boolean({ default: false }), {
    flag: 'trust-proxy', env: ['FOOTFALL_TRUST_PROXY', 'PRISME_TRUST_PROXY', 'PRISME_PROXY_TRUST'], kind: 'bool', shown: 'false',
    help: 'Read the client address from --proxy-header when the TCP peer is in --trusted-proxies (right-most address not in them; a peer that is not is the client). On a loopback --host with the loopback range trusted, every peer counts as trusted (for 127.0.0.0/8, while no interface has route_localnet on).',
  }),
  proxyHeader: opt(T.String({ default: 'X-Forwarded-For', minLength: 1, pattern: '^[A-Za-z0-9-]+$' }), {
    flag: 'proxy-header', env: ['FOOTFALL_PROXY_HEADER', 'PRISME_PROXY_HEADER', 'PRISME_PROXY_HEADER_XFORWARDEDFOR'], kind: 'string', shown: 'X-Forwarded-For',
    help: 'Header carrying the client address when --trust-proxy is on.',
  }),
  requestIdHeader: opt(T.String({ default: 'X-Request-Id', minLength: 1, pattern: '^[A-Za-z0-9-]+$' }), {
    flag: 'request-id-header', env: ['FOOTFALL_REQUEST_ID_HEADER', 'PRISME_PROXY_REQUEST_ID_HEADER', 'PRISME_PROXY_HEADER_REQUESTID'], kind: 'string', shown: 'X-Request-Id',
    help: "Header whose value the Prisme API and healthcheck echo as X-Prisme-Request-Id when --trust-proxy is on (else, or when it is empty, a random UUID).",
  }),
  trustedProxies: opt(T.Array(T.String(), { default: LOOPBACK_AND_PRIVATE }), {
    flag: 'trusted-proxies', env: ['FOOTFALL_TRUSTED_PROXIES'], kind: 'list', shown: 'loopback,private',
    help: 'Comma list of proxy CIDRs skipped when reading the proxy header (loopback,private = the loopback and private ranges).',
  }),
  rateLimit: opt(T.Unsafe<RateLimit>({ ...RateLimit, default: { capacity: 60, periodMs: 60_000 } }), {
    flag: 'rate-limit', env: ['FOOTFALL_RATE_LIMIT'], kind: 'rate', shown: '60/60s',
    help: 'Token bucket per client address (an IPv6 client by its /64) for the Prisme events API: CAPACITY/PERIOD, or off.',
  }),
  rateLimitPixels: opt(T.Boolean({ default: false }), {
    flag: 'rate-limit-pixels', env: ['FOOTFALL_RATE_LIMIT_PIXELS'], kind: 'bool', shown: 'false',
    help: 'Also rate limit Umami /p/:slug hits, at the --rate-limit rate with buckets of their own (off by default: mail image proxies fetch for many readers).',
  }),
  pixelMailProxies: opt(T.Boolean({ default: false }), {
    flag: 'pixel-mail-proxies', env: ['FOOTFALL_PIXEL_MAIL_PROXIES'], kind: 'bool', shown: 'false',
    help: 'Store Umami /p/:slug hits fetched by mail image proxies (Gmail GoogleImageProxy, YahooMailProxy) as newsletter opens. Off: Gmail\'s proxy is a bot, as in Umami.',
  }),
  limiterMaxKeys: opt(T.Integer({ default: 50_000, minimum: 1000, maximum: 50_000_000 }), {
    flag: 'limiter-max-keys', env: ['FOOTFALL_LIMITER_MAX_KEYS'], kind: 'int', shown: '50000',
    help: 'Hard cap on tracked client addresses (~40 B each, outside the JS heap); beyond it one not seen since the last sweep is forgotten (its bucket starts full again). A bucket idle for a whole period is full anyway, so 50000 only forgets early when over ~800 new addresses a second arrive for a minute.',
  }),
  maxSessions: opt(T.Integer({ default: 20_000, minimum: 1000, maximum: 5_000_000 }), {
    flag: 'max-sessions', env: ['FOOTFALL_MAX_SESSIONS'], kind: 'int', shown: '20000',
    help: 'Hard cap on devices (client address + UA + site) whose Prisme sessions are held in memory, ~1 KB of RSS each, 4× as many sessions in all (a device may hold up to 64 tabs and forks), and what those sessions keep of the paths, UTM values and referrer hosts to 1.6 KB a device on average (32 MB for 20000: URLs may be 8 KB long); beyond any of the three the least recently active device is forgotten: its next pageview starts a new session and its custom events answer 400. 20000 holds ~40k visits an hour with 30-minute visits; raise it on a bigger box (200000 ≈ +200 MB).',
  }),
  flushInterval: opt(T.Integer({ default: 250, minimum: 1, maximum: 60_000 }), {
    flag: 'flush-interval', env: ['FOOTFALL_FLUSH_INTERVAL'], kind: 'duration', shown: '250ms',
    help: 'Write buffer flushes at least this often.',
  }),
  flushSize: opt(T.Integer({ default: 2000, minimum: 1, maximum: 100_000 }), {
    flag: 'flush-size', env: ['FOOTFALL_FLUSH_SIZE'], kind: 'int', shown: '2000',
    help: 'Write buffer flushes as soon as it holds this many events; at most --buffer-max.',
  }),
  bufferMax: opt(T.Integer({ default: 100_000, minimum: 1, maximum: 10_000_000 }), {
    flag: 'buffer-max', env: ['FOOTFALL_BUFFER_MAX'], kind: 'int', shown: '100000',
    help: 'Most events held in memory; beyond it ingestion answers 503 (GIF endpoints: GIF, drop counted).',
  }),
  bufferMaxMb: opt(T.Integer({ default: 64, minimum: 16, maximum: 65_536 }), {
    flag: 'buffer-max-mb', env: ['FOOTFALL_BUFFER_MAX_MB'], kind: 'int', shown: '64',
    help: 'Most MiB the events held in memory may take (their texts and bodies, estimated); beyond it as --buffer-max.',
  }),
  ack: opt(T.Union([T.Literal('buffered'), T.Literal('durable')], { default: 'buffered' }), {
    flag: 'ack', env: ['FOOTFALL_ACK'], kind: 'enum', shown: 'buffered',
    help: 'buffered: answer once the event is in the write buffer (a crash of the process loses what it holds); durable: once its batch committed (survives a crash of the process; a power cut may lose the last commits, as synchronous=NORMAL).',
  }),
  geoipDb: opt(T.String({ default: '' }), {
    flag: 'geoip-db', env: ['FOOTFALL_GEOIP_DB'], kind: 'string', shown: '(embedded country db)',
    help: 'Path of a MaxMind-format .mmdb (GeoLite2 Country/City, DB-IP, ip-location-db); a city database adds region and city to the events of every family.',
  }),
  origins: opt(T.Array(T.String(), { default: [] }), {
    flag: 'origins', env: ['FOOTFALL_ORIGINS', 'PRISME_ORIGINS', 'PRISME_ORIGIN_REGISTRY_ORIGINS', 'PRISME_SOURCE_REGISTRY_SOURCES'], kind: 'list', shown: '(none)',
    help: 'Comma list of extra origins accepted by the Prisme API (website domains are always accepted); *.example.com wildcards.',
  }),
  eventsTimeout: opt(T.Integer({ default: 3000, minimum: 0, maximum: 60_000 }), {
    flag: 'events-timeout', env: ['FOOTFALL_EVENTS_TIMEOUT', 'PRISME_API_EVENTS_TIMEOUT', 'PRISME_SERVER_API_EVENTS_TIMEOUT'], kind: 'duration', shown: '3s',
    help: 'How long a Prisme custom/click event waits for its page session before 400.',
  }),
  keepIp: opt(T.Boolean({ default: false }), {
    flag: 'keep-ip', env: ['FOOTFALL_KEEP_IP'], kind: 'bool', shown: 'false',
    help: 'Store whole client addresses where a payload has an IP field (default: IPv4 /24, IPv6 /48).',
  }),
  logLevel: opt(T.Union([T.Literal('debug'), T.Literal('info'), T.Literal('warn'), T.Literal('error')], { default: 'info' }), {
    flag: 'log-level', env: ['FOOTFALL_LOG_LEVEL'], kind: 'enum', shown: 'info',
    help: 'debug | info | warn | error. debug adds a line for each batch written: its events, those not stored and why, and how long the write took.',
  }),
  logFormat: opt(T.Union([T.Literal('text'), T.Literal('json')], { default: 'text' }), {
    flag: 'log-format', env: ['FOOTFALL_LOG_FORMAT'], kind: 'enum', shown: 'text',
    help: 'text | json (one object per line).',
  }),
});
export type Config = Static<typeof ConfigSchema>;
export type ConfigKey = keyof Config;

export function optionMeta(key: ConfigKey): OptionMeta {
  return (ConfigSchema.properties[key] as unknown as { 'x-option': OptionMeta })['x-option'];
}

export const CONFIG_KEYS = Object.keys(ConfigSchema.properties) as ConfigKey[];

function enumValues(key: ConfigKey): string[] | null {
  const s = ConfigSchema.properties[key] as { anyOf?: { const?: unknown }[] };
  return s.anyOf?.every((x) => typeof x.const === 'string') ? s.anyOf.map((x) => x.const as string) : null;
}

/** Text → typed value for one option; returns an error message instead of throwing. */
function convert(key: ConfigKey, text: string): { value: unknown } | { error: string } {
  const m = optionMeta(key);
  const t = text.trim();
  switch (m.kind) {
    case 'string':
      return { value: t };
    case 'int':
      return /^-?\d+$/.test(t) ? { value: Number(t) } : { error: `expected an integer, got ${quoted(text)}` };
    case 'bool':
      // Go's strconv.ParseBool words (t, f: Prisme's flags and variables were read with it) too.
      if (/^(1|t|true|yes|on)$/i.test(t)) return { value: true };
      if (/^(0|f|false|no|off)$/i.test(t)) return { value: false };
      return { error: `expected true, t, yes, on or 1, or false, f, no, off or 0, got ${quoted(text)}` };
    case 'duration': {
      // A number alone is no duration (as for Go's time.ParseDuration, which Prisme's variables
      // were read with): "3" meant as seconds must not run as 3 ms. Only 0 needs no unit.
      if (/^\d+$/.test(t) && Number(t) !== 0) return { error: `expected a duration with its unit, such as ${t}ms or ${t}s, got ${quoted(text)}` };
      const ms = parseDuration(t);
      return ms === null ? { error: `expected a duration such as 250ms, 3s, 1m or 1m30s, got ${quoted(text)}` } : { value: ms };
    }
    case 'list': {
      const items = t.split(',').map((s) => s.trim()).filter(Boolean);
      if (key === 'trustedProxies') {
        const out: string[] = [];
        for (const it of items) {
          if (it === 'loopback') out.push('127.0.0.0/8', '::1/128');
          else if (it === 'private') out.push(...LOOPBACK_AND_PRIVATE.filter((c) => !c.startsWith('127.') && c !== '::1/128'));
          else if (it === 'none') continue;
          else if (!parseCidr(it)) return { error: `${quoted(it)} is not an IP address or CIDR` };
          else out.push(it);
        }
        return { value: out };
      }
      if (key === 'origins') {
        const bad = items.filter((o) => !parseOriginEntry(o));
        if (bad.length) return { error: `not a host name or *.wildcard: ${bad.map(quoted).join(', ')}` };
      }
      return { value: items };
    }
    case 'enum':
      return { value: t };
    case 'rate': {
      if (/^off$/i.test(t)) return { value: 'off' };
      const r = /^(\d+)\/(.+)$/.exec(t);
      const period = r ? parseDuration(r[2]!) : null;
      if (!r || period === null || Number(r[1]) < 1 || period < 1)
        return { error: `expected CAPACITY/PERIOD such as 60/60s, or off; got ${quoted(text)}` };
      return { value: { capacity: Number(r[1]), periodMs: period } };
    }
  }
}

export type LoadResult =
  | { ok: true; config: Config; rest: string[] }
  /** `config` holds the values that could be read (defaults elsewhere), for checks that add to `errors`. */
  | { ok: false; errors: string[]; config: Config; rest: string[] };

/** Each loaded config's names of where its values came from (optionName). */
const sources = new WeakMap<Config, (key: ConfigKey) => string>();

/**
 * The name an option of a loaded config was given by (`--geoip-db`, or `FOOTFALL_GEOIP_DB` when it
 * came from there), for a problem found after loading; the flag for a default or another object.
 */
export function optionName(config: Config, key: ConfigKey): string {
  return sources.get(config)?.(key) ?? `--${optionMeta(key).flag}`;
}

/**
 * argv (without the subcommand) and env → Config. Flags beat FOOTFALL_* env, which beats the
 * Prisme names (listed after it). Every problem is reported, not just the first.
 */
export function loadConfig(argv: readonly string[], env: Record<string, string | undefined>): LoadResult {
  const errors: string[] = [];
  const raw: Partial<Record<ConfigKey, unknown>> = {};
  /** Where each value came from (a flag or an environment name), to name it in a problem. */
  const source = new Map<ConfigKey, string>();
  /** The text each value was read from, to quote in a problem (0.4ms reads as 0 ms: "got 0ms" would puzzle). */
  const given = new Map<ConfigKey, string>();
  const byFlag = new Map(CONFIG_KEYS.map((k) => [optionMeta(k).flag, k] as const));

  /** An environment value that cannot be read is a problem only if no flag gives the option. */
  const envErrors = new Map<ConfigKey, string>();
  for (const key of CONFIG_KEYS) {
    const name = envNamesSet(key, env)[0];
    if (name === undefined) continue;
    const c = convert(key, env[name]!);
    if ('error' in c) envErrors.set(key, `${name}: ${c.error}`);
    else (raw[key] = c.value), source.set(key, name), given.set(key, env[name]!.trim());
  }

  const read = readFlags(argv, optionFlagKind);
  errors.push(...read.errors);
  for (const { flag, text } of read.flags) {
    const key = byFlag.get(flag)!;
    envErrors.delete(key);
    const c = convert(key, text);
    if ('error' in c) errors.push(`--${flag}: ${c.error}`);
    else (raw[key] = c.value), source.set(key, `--${flag}`), given.set(key, text.trim());
  }
  errors.unshift(...envErrors.values());
  const nameOf = (key: ConfigKey) => source.get(key) ?? `--${optionMeta(key).flag}`;

  const config = Value.Default(ConfigSchema, structuredClone(raw)) as Config;
  sources.set(config, nameOf);
  /** Options already said to be wrong: no check across options adds a line about them. */
  const wrong = new Set<ConfigKey>();
  for (const key of CONFIG_KEYS) {
    const allowed = enumValues(key);
    const v = config[key];
    if (allowed && !allowed.includes(v as string)) {
      errors.push(`${nameOf(key)}: expected one of ${allowed.join(' | ')}, got ${quoted(String(v))}`);
      wrong.add(key);
      continue;
    }
    const schema = ConfigSchema.properties[key] as TSchema;
    const first = [...Value.Errors(schema, v)][0];
    if (first && !allowed) {
      // Out of its range: said in the option's own units (a duration as typed, not in ms).
      const range = rangeText(key).trim();
      const kind = optionMeta(key).kind;
      const got = kind === 'duration' || kind === 'int' ? (given.get(key) ?? (typeof v === 'number' && kind === 'duration' ? formatDuration(v) : JSON.stringify(v))) : JSON.stringify(v);
      errors.push(range && typeof v === 'number' ? `${nameOf(key)}: must be ${range.slice(1, -1)} (got ${got})` : `${nameOf(key)}: ${first.message} (got ${got})`);
      wrong.add(key);
    }
  }
  if (config.flushSize > config.bufferMax && !wrong.has('flushSize') && !wrong.has('bufferMax'))
    errors.push(`${nameOf('flushSize')} (${config.flushSize}) must not exceed ${nameOf('bufferMax')} (${config.bufferMax})`);
  // The pixel limiter takes --rate-limit's rate (buckets of its own): with none, the flag would do nothing, silently.
  if (config.rateLimitPixels && config.rateLimit === 'off')
    errors.push(`${nameOf('rateLimitPixels')}: /p/:slug hits are limited at the ${nameOf('rateLimit')} rate, which is off: give it a rate, or leave ${nameOf('rateLimitPixels')} out`);
  const dataDirProblem = dataDirIssue(config.dataDir);
  if (dataDirProblem) errors.push(`${nameOf('dataDir')}: ${dataDirProblem}`);
  // Only whether it can be read: whether it is a MaxMind database is known once it is opened.
  const geoProblem = config.geoipDb ? readableFileIssue(config.geoipDb) : null;
  if (geoProblem) errors.push(`${nameOf('geoipDb')}: ${geoProblem}`);
  return errors.length ? { ok: false, errors, config, rest: read.rest } : { ok: true, config, rest: read.rest };
}

/** Environment names that look like Footfall's (FOOTFALL_…) but are none of its options: a misspelling, most likely (FOOTFALL_ACKS). */
export function unknownEnvNames(env: Record<string, string | undefined>): string[] {
  const known = new Set<string>(['FOOTFALL_ADMIN_PASSWORD', ...CONFIG_KEYS.flatMap((k) => optionMeta(k).env)]);
  return Object.keys(env).filter((name) => name.startsWith('FOOTFALL_') && !known.has(name)).sort();
}

const FLAG_KINDS = new Map(CONFIG_KEYS.map((k) => [optionMeta(k).flag, optionMeta(k).kind === 'bool' ? ('bool' as const) : ('value' as const)]));

/** What the flag of one of serve's options takes (readFlags), or undefined for no option of serve's. */
export function optionFlagKind(flag: string): FlagKind | undefined {
  return FLAG_KINDS.get(flag);
}

/**
 * The environment names of an option that are set, first the one that wins. Blank is unset
 * (FOOTFALL_PORT=" " falls through to PRISME_PORT).
 */
export function envNamesSet(key: ConfigKey, env: Record<string, string | undefined>): string[] {
  return optionMeta(key).env.filter((n) => env[n] !== undefined && env[n]!.trim() !== '');
}

/**
 * Environment names of one option set to different values (FOOTFALL_PORT and PRISME_PORT, or the
 * two Prisme generations' names): the first in the option's list is used and the others are not,
 * which a deployment carried over from Prisme may not expect (a second origin list dropped).
 */
export function shadowedEnvNames(env: Record<string, string | undefined>, argv: readonly string[] = []): { used: string; ignored: string }[] {
  const out: { used: string; ignored: string }[] = [];
  const flagged = new Set(readFlags(argv, optionFlagKind).flags.map((f) => f.flag));
  /** What a value means (3s and 3000ms alike, a list in any order), or its text when it cannot be read. */
  const meaning = (key: ConfigKey, text: string): string => {
    const c = convert(key, text);
    if ('error' in c) return `text:${text.trim()}`;
    return JSON.stringify(Array.isArray(c.value) ? [...(c.value as unknown[])].map(String).sort() : c.value);
  };
  for (const key of CONFIG_KEYS) {
    // A flag wins over every name: none of them is used.
    if (flagged.has(optionMeta(key).flag)) continue;
    const set = envNamesSet(key, env);
    for (const other of set.slice(1)) if (meaning(key, env[other]!) !== meaning(key, env[set[0]!]!)) out.push({ used: set[0]!, ignored: other });
  }
  return out;
}

/** Why `path` cannot be read as a file, or null. */
export function readableFileIssue(path: string): string | null {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
    return null;
  } catch (e) {
    return `cannot read ${path}: ${(e as Error).message}`;
  }
}

/**
 * Why FOOTFALL_ADMIN_PASSWORD cannot be the first admin's password, or null. Checked only when
 * it is used (the first start, bootstrap.ts): one the login route would refuse (8–255
 * characters, as for every user) would leave an admin who can never log in.
 */
export function adminPasswordIssue(password: string | undefined): string | null {
  if (password === undefined || password === '') return null;
  return password.length < 8 || password.length > 255 ? `FOOTFALL_ADMIN_PASSWORD: must have 8 to 255 characters (has ${password.length})` : null;
}

/** Why `dir` cannot be the data directory, or null: it must be a directory, or not exist yet. */
function dataDirIssue(dir: string): string | null {
  try {
    return statSync(dir).isDirectory() ? null : `${dir} exists and is not a directory`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : `cannot use ${dir}: ${(e as Error).message}`;
  }
}

/** ` (1000 to 5000000)` for an option whose schema bounds it, in its own units; '' otherwise. */
export function rangeText(key: ConfigKey): string {
  const kind = optionMeta(key).kind;
  if (kind !== 'int' && kind !== 'duration') return '';
  const schema = ConfigSchema.properties[key] as { minimum?: number; maximum?: number };
  const show = (n: number) => (kind === 'duration' ? formatDuration(n) : String(n));
  const { minimum: lo, maximum: hi } = schema;
  if (lo !== undefined && hi !== undefined) return ` (${show(lo)} to ${show(hi)})`;
  if (lo !== undefined) return ` (at least ${show(lo)})`;
  return hi !== undefined ? ` (at most ${show(hi)})` : '';
}
