/** @module The exact 1×1 GIFs each upstream answers with (bytes from upstream.md). */

const fromHex = (hex: string) => Uint8Array.from(hex.split(' '), (b) => parseInt(b, 16));
const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/** Prisme noscript: 35 bytes, no trailer byte (upstream.md §3.8). */
export const PRISME_GIF = fromHex('47 49 46 38 39 61 01 00 01 00 00 00 00 21 f9 04 01 00 00 00 00 2c 00 00 00 00 01 00 01 00 00 02 01 00 00');
/**
 * RudderStack pixel: 43 bytes, black/black palette (upstream.md §1.1.2). From its base64: the hex
 * listed there has one 00 too many in the palette (44 bytes), contradicting its verified length.
 */
export const RUDDER_GIF = fromBase64('R0lGODlhAQABAIAAAAAAAAAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==');
/** Umami pixel: 43 bytes, white/black palette (upstream.md §2.8). */
export const UMAMI_GIF = fromHex('47 49 46 38 39 61 01 00 01 00 80 00 00 ff ff ff 00 00 00 21 f9 04 01 00 00 00 00 2c 00 00 00 00 01 00 01 00 00 02 02 44 01 00 3b');
