/**
 * @module The mark our Swagger UI puts on the requests it sends for "Try it out", so that a pixel
 * tried from the docs is answered as ever but not counted as an open or a page view.
 */

/**
 * Set by the docs page's request interceptor (docs.ts) on every request it sends. A header of
 * our own, not `Purpose: prefetch`: the request is a person's, only not a reader's. A client
 * that sends it on purpose only keeps its own hit out of the figures, as a bot's would be.
 */
export const TRY_IT_OUT_HEADER = 'x-footfall-try-it-out';

export function isDocsTryOut(h: Headers): boolean {
  return h.has(TRY_IT_OUT_HEADER);
}
