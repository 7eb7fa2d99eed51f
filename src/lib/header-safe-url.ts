/** @module A URL as an HTTP header value (Location): characters outside printable ASCII percent-encoded as UTF-8. */

const UNSAFE_RUN = /[^\x21-\x7e]+/g;

/**
 * `url` with every run of characters outside printable ASCII (spaces, controls, Latin-1 and
 * beyond) written as the percent-escapes of its UTF-8 bytes, as a browser sends such a URL and
 * as Go's URL serialisation writes a path: `https://x.example/€` → `https://x.example/%E2%82%AC`.
 * Escapes already in `url` are kept as they are. A header takes no text beyond Latin-1 (Bun's
 * Headers throws: a 500), and a Latin-1 letter would go out as a raw byte no client reads as UTF-8.
 * A lone surrogate is written as U+FFFD's bytes.
 */
export function headerSafeUrl(url: string): string {
  return url.replace(UNSAFE_RUN, percentEncodeUtf8);
}

function percentEncodeUtf8(run: string): string {
  let out = '';
  for (const byte of Buffer.from(run, 'utf8')) out += '%' + HEX[byte]!;
  return out;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));
