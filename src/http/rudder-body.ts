/** @module A RudderStack HTTP API request's body → its JSON value (gunzipped when sent so, bounded, numbers kept as sent), or why it cannot be read. */
import { parseJsonKeepingNumbers } from '../lib/exact-json.ts';
import { decodeUtf8, INGEST_BODIES, readBody, readBytes } from './request-values.ts';

/** rudder-server's Gateway.maxReqSizeInKB default (4000 KB), before and after gunzip. */
export const RUDDER_MAX_BODY = 4000 * 1024;

/** Reads, gunzips (bounded: a 4 MB zip bomb stays a 413) and parses the body. */
export async function readJsonBody(request: Request): Promise<unknown | 'too-large' | 'busy' | 'invalid'> {
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
    return parseJsonText(decodeUtf8(inflated, true)!);
  }
  const body = await readBody(request, RUDDER_MAX_BODY, true);
  if (!body.ok) return body.error === 'too-large' || body.error === 'busy' ? body.error : 'invalid';
  return parseJsonText(body.text);
}

/**
 * JSON.parse, but 'invalid' for malformed text or nesting deeper than Go's decoder takes
 * (json-depth.ts), and numbers a double cannot give back kept as sent (exact-json.ts).
 */
function parseJsonText(text: string): unknown | 'invalid' {
  const parsed = parseJsonKeepingNumbers(text);
  return parsed === null ? 'invalid' : parsed.value;
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
