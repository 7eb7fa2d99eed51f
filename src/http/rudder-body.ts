/** @module A RudderStack HTTP API request's body → its JSON value (gunzipped when sent so, bounded, numbers kept as sent), or why it cannot be read. */
import { parseJsonKeepingNumbers } from '../lib/exact-json.ts';
import { firstMemberText } from '../lib/json-first-member.ts';
import { decodeUtf8, INGEST_BODIES, readBody, readBytes } from './request-values.ts';

/** rudder-server's Gateway.maxReqSizeInKB default (4000 KB), before and after gunzip. */
export const RUDDER_MAX_BODY = 4000 * 1024;

/**
 * Reads, gunzips (bounded: a 4 MB zip bomb stays a 413) and parses the body. `batch`: the body of
 * a batch, whose `batch` is its first (gjson's), not its last, when the name is repeated.
 */
export async function readJsonBody(request: Request, batch = false): Promise<unknown | 'too-large' | 'busy' | 'invalid'> {
  // rudder-server's middleware gunzips an exact `gzip` only; any other coding is read as it is.
  if (request.headers.get('content-encoding') === 'gzip') {
    const raw = await readBytes(request, RUDDER_MAX_BODY, INGEST_BODIES, false);
    if (typeof raw === 'string') return raw === 'aborted' ? 'invalid' : raw;
    let inflated: Uint8Array;
    try {
      inflated = await gunzipBounded(raw, RUDDER_MAX_BODY);
    } catch (e) {
      return (e as Error).message === 'too-large' ? 'too-large' : 'invalid';
    }
    return parseJsonText(decodeUtf8(inflated, true)!, batch);
  }
  const body = await readBody(request, RUDDER_MAX_BODY, true);
  if (!body.ok) return body.error === 'too-large' || body.error === 'busy' ? body.error : 'invalid';
  return parseJsonText(body.text, batch);
}

/**
 * JSON.parse, but 'invalid' for malformed text or nesting deeper than Go's decoder takes
 * (json-depth.ts), and numbers a double cannot give back kept as sent (exact-json.ts).
 */
function parseJsonText(text: string, batch: boolean): unknown | 'invalid' {
  const parsed = parseJsonKeepingNumbers(text);
  if (parsed === null) return 'invalid';
  const value = parsed.value;
  // A second `batch` (or a name written with escapes, which may be one) is rare: look for the first only then.
  if (batch && typeof value === 'object' && value !== null && !Array.isArray(value) && (text.indexOf('"batch"') !== text.lastIndexOf('"batch"') || text.includes('\\u'))) {
    const first = firstMemberText(text, 'batch');
    if (first !== undefined) (value as Record<string, unknown>).batch = parseJsonKeepingNumbers(first)!.value;
  }
  return value;
}

/** Streams through DecompressionStream and stops as soon as the output passes `max` bytes. */
async function gunzipBounded(bytes: Uint8Array, max: number): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new Error('too-large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
